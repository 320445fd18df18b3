// The size of the request a "hi" costs with every default on: the runtime
// built from the embedded defaults (default workspace, default tools: web,
// cron, message, memory, skill_read), the agent's system prompt and the
// tool schemas, serialized as the OpenAI-compatible body the provider gets.
// Tokens are estimated as characters/4 (no tokenizer is bundled); the issue's
// budget is 1,500. Prints figures, asserts nothing.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "../src/agent/agent.ts";
import { estimateTokens } from "../src/agent/prompt.ts";
import type { ChatRequest } from "../src/core/chat.ts";
import { silentLogger } from "../src/core/logger.ts";
import { loadConfig } from "../src/config/load.ts";
import { resolvePaths } from "../src/config/paths.ts";
import { createRuntime } from "../src/gateway/runtime.ts";
import { openAiBody } from "../src/providers/protocols/openai-wire.ts";
import type { ChatRouter, ModelEntry } from "../src/providers/types.ts";
import { MemorySessionStore } from "../test/agent/memory-sessions.ts";

const entry: ModelEntry = {
  id: "m#0", modelName: "m", model: "openai/gpt-4o", vendor: "openai", protocol: "openai", modelId: "gpt-4o",
  apiBase: "http://127.0.0.1:9/v1", apiKeys: [], requestTimeoutMs: 1_000, enabled: true, source: "model_list",
};

/** The request "hi" makes with the embedded defaults (system prompt, history, tool specs), and the default tools' names. */
export async function defaultHiRequest(): Promise<{ request: ChatRequest; tools: string[] }> {
  const home = mkdtempSync(join(tmpdir(), "sb-bench-size-"));
  const env = { SWITCHBOARD_HOME: home };
  const paths = resolvePaths(env);
  const runtime = createRuntime({ loaded: loadConfig({ path: paths.configFile, env }), paths, logger: silentLogger(), env, send: async () => {} });
  try {
    let captured: ChatRequest | undefined;
    const capture: ChatRouter = {
      async chat(req) {
        captured = req;
        return { content: "hello", toolCalls: [], finishReason: "stop", entry, attempts: [] };
      },
      async *stream() {
        throw new Error("not used");
      },
      async call() {
        throw new Error("not used");
      },
    };
    const agent = new Agent({ router: capture, sessions: new MemorySessionStore().async, tools: runtime.tools, workspaceDir: runtime.workspaceDir, logger: silentLogger(), prompt: { extra: runtime.extensions.promptExtra } });
    await agent.runTurn({ origin: { sessionKey: "telegram:dm:1", channel: "telegram", chatId: "1", senderId: "1" }, text: "hi" });
    return { request: captured!, tools: runtime.tools.names() };
  } finally {
    await runtime.close();
    rmSync(home, { recursive: true, force: true });
  }
}

/** The request body "hi" produces with the embedded defaults, and its estimated tokens. */
export async function measureHi(): Promise<{ chars: number; tokens: number; systemTokens: number; toolTokens: number; tools: string[] }> {
  const { request, tools } = await defaultHiRequest();
  const body = JSON.stringify(openAiBody(entry, request, false));
  return {
    chars: body.length,
    tokens: estimateTokens(body),
    systemTokens: estimateTokens(String(request.messages[0]!.content)),
    toolTokens: estimateTokens(JSON.stringify(request.tools ?? [])),
    tools,
  };
}

export async function run(): Promise<void> {
  const m = await measureHi();
  console.log(`"hi" with the defaults: ${m.chars} chars ≈ ${m.tokens} tokens (chars/4; budget 1,500): system prompt ≈ ${m.systemTokens}, tool schemas ≈ ${m.toolTokens}`);
  console.log(`default tools: ${m.tools.join(", ")}`);
}
