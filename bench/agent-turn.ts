// The agent's own cost: a full turn with one tool call against an instant
// in-process model and in-memory sessions (so the figure is prompt assembly,
// the tool loop, validation and persistence, not I/O), and the size of the
// system prompt for the default workspace. Prints figures, asserts nothing.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { Agent } from "../src/agent/agent.ts";
import { estimateTokens, PromptBuilder } from "../src/agent/prompt.ts";
import { ensureWorkspace } from "../src/agent/workspace.ts";
import type { ChatMessage, ChatRequest, ChatResult } from "../src/core/chat.ts";
import { systemClock } from "../src/core/clock.ts";
import { silentLogger } from "../src/core/logger.ts";
import type { Attempt, ChatRouter, ModelEntry } from "../src/providers/types.ts";
import { ToolRegistry } from "../src/tools/registry.ts";
import { MemorySessionStore } from "../test/agent/memory-sessions.ts";
import { report } from "./stats.ts";

const TURNS = 2_000;
const WARMUP = 200;

const entry: ModelEntry = {
  id: "instant#0",
  modelName: "instant",
  model: "openai/instant",
  vendor: "openai",
  protocol: "openai",
  modelId: "instant",
  apiBase: "http://127.0.0.1:9/v1",
  apiKeys: [],
  requestTimeoutMs: 1_000,
  enabled: true,
  source: "model_list",
};

/** Answers at once: a tool call for a fresh user message, text once the result is in. */
const instantModel: ChatRouter = {
  async chat(req: ChatRequest): Promise<ChatResult & { entry: ModelEntry; attempts: Attempt[] }> {
    const last = req.messages[req.messages.length - 1]!;
    const attempts: Attempt[] = [{ entryId: entry.id, modelName: "instant", model: entry.model, keyIndex: 0, ok: true, latencyMs: 0, at: 0 }];
    const usage = { promptTokens: 400, completionTokens: 20, totalTokens: 420 };
    if (last.role === "user") {
      return { content: "", toolCalls: [{ id: "c1", name: "clock", arguments: '{"zone":"UTC"}' }], finishReason: "tool_calls", usage, entry, attempts };
    }
    return { content: "It is noon in UTC.", toolCalls: [], finishReason: "stop", usage, entry, attempts };
  },
  async *stream() {
    throw new Error("not used");
  },
  async call() {
    throw new Error("not used");
  },
};

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "sb-bench-agent-"));
  try {
    ensureWorkspace(dir);
    const toolNames = ["web_search", "web_fetch", "cron", "message"];
    const prompt = new PromptBuilder(dir, systemClock).build({
      origin: { sessionKey: "telegram:dm:1", channel: "telegram", chatId: "1", senderId: "1" },
      toolNames,
    });
    console.log(`system prompt, default workspace: ${prompt.length} chars ≈ ${estimateTokens(prompt)} tokens (chars/4)`);

    const tools = new ToolRegistry();
    tools.register({
      name: "clock",
      description: "The current time in a zone",
      schema: z.object({ zone: z.string().describe("IANA zone") }),
      run: async (args: { zone: string }) => `12:00 ${args.zone}`,
    });
    const sessions = new MemorySessionStore();
    const agent = new Agent({ router: instantModel, sessions: sessions.async, tools, workspaceDir: dir, clock: systemClock, logger: silentLogger() });

    const history: ChatMessage[] = [];
    for (let i = 0; i < 8; i++) history.push({ role: "user", content: `earlier question ${i}` }, { role: "assistant", content: `earlier answer ${i}` });

    for (const [label, prefill] of [
      ["agent turn, one tool call, new session", [] as ChatMessage[]],
      ["agent turn, one tool call, 16 messages of history", history],
    ] as const) {
      const samples: number[] = [];
      for (let i = 0; i < TURNS + WARMUP; i++) {
        // a session per turn keeps the history at its starting size (no compaction in the figure)
        const sessionKey = `${label.length}:${i}`;
        if (prefill.length) sessions.append(sessionKey, [...prefill], 0);
        const t = performance.now();
        await agent.runTurn({ origin: { sessionKey, channel: "telegram", chatId: "1", senderId: "1" }, text: "what time is it?" });
        if (i >= WARMUP) samples.push(performance.now() - t);
      }
      report(label, samples);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
