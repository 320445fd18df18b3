// A scripted ChatRouter recording every request, a real in-memory SQLite
// store and a temporary workspace, for agent tests.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChatDelta, ChatRequest, ChatResult, ToolCall } from "../../src/core/chat.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { Agent, type AgentOptions } from "../../src/agent/turn-runner.ts";
import { ensureWorkspace } from "../../src/agent/workspace-files.ts";
import { ProviderError, type Attempt, type CallTarget, type ChatRouter, type ModelEntry, type RouteOptions, type Routed } from "../../src/providers/types.ts";
import { openStore } from "../../src/store/open.ts";
import { ToolRegistry } from "../../src/tools/tool-registry.ts";

export type Answer = string | { calls: Omit<ToolCall, "id">[]; text?: string } | ProviderError | ((req: ChatRequest) => string);

const entry: ModelEntry = {
  id: "fake#0", modelName: "fake", model: "openai/fake", vendor: "openai", protocol: "openai", modelId: "fake",
  apiBase: "http://fake.invalid/v1", apiKeys: [], requestTimeoutMs: 1000, enabled: true, source: "model_list",
};

export class ScriptedRouter implements ChatRouter {
  readonly requests: ChatRequest[] = [];
  readonly script: Answer[] = [];
  fallback: Answer = "ok";
  private n = 0;
  async chat(req: ChatRequest, _opts?: RouteOptions): Promise<ChatResult & { entry: ModelEntry; attempts: Attempt[] }> {
    this.requests.push(structuredClone({ ...req, signal: undefined }));
    const a = this.script.length ? this.script.shift()! : this.fallback;
    if (a instanceof ProviderError) throw a;
    const attempts: Attempt[] = [{ entryId: entry.id, modelName: "fake", model: "openai/fake", keyIndex: 0, ok: true, latencyMs: 1, at: 0 }];
    const usage = { promptTokens: 100, completionTokens: 10, totalTokens: 110 };
    if (typeof a === "string" || typeof a === "function") {
      return { content: typeof a === "function" ? a(req) : a, toolCalls: [], finishReason: "stop", entry, attempts, usage };
    }
    const toolCalls = a.calls.map((c) => ({ ...c, id: `call_${++this.n}` }));
    return { content: a.text ?? "", toolCalls, finishReason: "tool_calls", entry, attempts, usage };
  }
  async *stream(): AsyncIterable<ChatDelta> {
    throw new Error("not used");
  }
  async call<T>(_o: RouteOptions, fn: (t: CallTarget, s: AbortSignal) => Promise<T>): Promise<Routed<T>> {
    const target = { entry, apiKey: undefined, keyIndex: 0 };
    return { value: await fn(target, new AbortController().signal), target, attempts: [] };
  }
}

export function setupAgent(over: Partial<AgentOptions> = {}) {
  const workspaceDir = mkdtempSync(join(tmpdir(), "sb-ws-"));
  ensureWorkspace(workspaceDir);
  const store = openStore(":memory:");
  const router = new ScriptedRouter();
  const tools = new ToolRegistry();
  const clock = new ManualClock(Date.parse("2026-11-23T10:00:00Z"));
  const agent = new Agent({ router, sessions: store.sessions, tools, workspaceDir, clock, logger: silentLogger(), modelInfo: { primary: "fake", fallbacks: ["backup"] }, ...over });
  const origin = { sessionKey: "telegram:dm:42", channel: "telegram", chatId: "42", senderId: "42" };
  return { agent, router, store, tools, clock, workspaceDir, origin };
}
