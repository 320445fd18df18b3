// An Agent wired to the fake router, in-memory sessions, a fresh workspace
// in a temp folder and a manual clock.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { Agent, type AgentOptions } from "../../src/agent/agent.ts";
import { ensureWorkspace } from "../../src/agent/workspace.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { ToolRegistry } from "../../src/tools/registry.ts";
import type { TurnOrigin } from "../../src/tools/types.ts";
import { FakeRouter } from "./fake-router.ts";
import { MemorySessionStore } from "./memory-sessions.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function tempWorkspace(withTemplates = true): string {
  const dir = mkdtempSync(join(tmpdir(), "sb-agent-"));
  dirs.push(dir);
  if (withTemplates) ensureWorkspace(dir);
  return dir;
}

export const START = Date.parse("2026-11-23T10:00:00Z");

export function setup(over: Partial<AgentOptions> = {}) {
  const workspaceDir = over.workspaceDir ?? tempWorkspace();
  const router = new FakeRouter();
  const sessions = new MemorySessionStore();
  const tools = new ToolRegistry();
  const clock = new ManualClock(START);
  const agent = new Agent({
    router,
    sessions: sessions.async,
    tools,
    workspaceDir,
    clock,
    logger: silentLogger(),
    modelInfo: { primary: "fake", fallbacks: ["backup", "local"] },
    prompt: { timeZone: "UTC" },
    ...over,
  });
  const origin: TurnOrigin = { sessionKey: "telegram:dm:42", channel: "telegram", chatId: "1042", senderId: "42" };
  return { agent, router, sessions, tools, clock, workspaceDir, origin };
}
