// A full agent turn with one tool call against an instant in-process model
// (history in SQLite in memory), and the system prompt's size for the
// default workspace.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { systemClock } from "../src/core/clock.ts";
import { silentLogger } from "../src/core/logger.ts";
import { estimateTokens, PromptBuilder } from "../src/agent/system-prompt.ts";
import { Agent } from "../src/agent/turn-runner.ts";
import { ensureWorkspace } from "../src/agent/workspace-files.ts";
import { createRouter } from "../src/providers/routing/router.ts";
import type { ModelEntry, ProviderClient } from "../src/providers/types.ts";
import { openStore } from "../src/store/index.ts";
import { ToolRegistry } from "../src/tools/tool-registry.ts";
import { report } from "./stats.ts";

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "sb-bench-"));
  try {
    ensureWorkspace(dir);
    const prompt = new PromptBuilder(dir, systemClock).build({ origin: { sessionKey: "k", channel: "telegram", chatId: "1", senderId: "1" }, toolNames: ["web_search", "web_fetch", "cron", "message"] });
    console.log(`system prompt, default workspace: ${prompt.length} chars ≈ ${estimateTokens(prompt)} tokens`);

    const entry: ModelEntry = { id: "m#0", modelName: "m", model: "openai/m", vendor: "openai", protocol: "openai", modelId: "m", apiBase: "http://x.invalid/v1", apiKeys: [], requestTimeoutMs: 1000, enabled: true, source: "model_list" };
    const client: ProviderClient = {
      async chat(_t, req) {
        const last = req.messages.at(-1)!;
        if (last.role === "user") return { content: "", toolCalls: [{ id: "c1", name: "clock", arguments: "{}" }], finishReason: "tool_calls" };
        return { content: "It is noon.", toolCalls: [], finishReason: "stop" };
      },
      async *stream() {},
    };
    const router = createRouter({ directory: { all: () => [entry], lookup: () => [entry] }, clientFor: () => client, defaults: { primary: "m", fallbacks: [] }, logger: silentLogger() });
    const store = openStore(":memory:");
    const tools = new ToolRegistry();
    tools.register({ name: "clock", description: "time", schema: z.object({}), run: async () => "12:00" });
    const agent = new Agent({ router, sessions: store.sessions, tools, workspaceDir: dir, logger: silentLogger() });
    const samples: number[] = [];
    for (let i = 0; i < 2300; i++) {
      const t = performance.now();
      // one session per turn keeps history (and compaction) out of the figure
      await agent.runTurn({ origin: { sessionKey: `s${i}`, channel: "telegram", chatId: "1", senderId: "1" }, text: "what time is it?" });
      if (i >= 300) samples.push(performance.now() - t);
    }
    report("agent turn with one tool call (instant model)", samples);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
