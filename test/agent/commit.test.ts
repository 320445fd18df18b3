// A turn's history and whatever the caller stores in onCommit (the gateway's
// reply) are saved in one transaction: both or neither.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Agent } from "../../src/agent/agent.ts";
import { ensureWorkspace } from "../../src/agent/workspace.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { openStore } from "../../src/store/index.ts";
import { sqliteBackend } from "../../src/store/sqlite-backend.ts";
import { ToolRegistry } from "../../src/tools/registry.ts";
import { FakeRouter } from "./fake-router.ts";

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "sb-commit-"));
  ensureWorkspace(dir);
  const store = openStore(":memory:");
  const backend = sqliteBackend(store);
  const router = new FakeRouter(["the answer"]);
  const agent = new Agent({ router, sessions: backend.sessions, tools: new ToolRegistry(), workspaceDir: dir, logger: silentLogger(), transaction: (fn) => backend.transaction(fn) });
  return { store, agent };
}

const origin = { sessionKey: "k", channel: "telegram", chatId: "1", senderId: "1" };

describe("committing a turn", () => {
  it("saves the history and the caller's reply together", async () => {
    const { store, agent } = setup();
    const msg = store.delivery.acceptInbound({ channel: "telegram", chatId: "1", messageId: "m1", sessionKey: "k", senderId: "1", payload: {}, receivedAt: 1 })!;
    await agent.runTurn({
      origin,
      text: "question",
      onCommit: async (r, tx) => void (await tx!.delivery.enqueueReply({ channel: "telegram", chatId: "1", replyId: "r1", chunks: [{ text: r.text }], answers: [msg.id], now: 2 })),
    });
    expect(store.sessions.history("k").map((m) => m.message.content)).toEqual(["question", "the answer"]);
    expect(store.delivery.pendingOutbound(10).map((o) => (o.chunk as { text: string }).text)).toEqual(["the answer"]);
    expect(store.delivery.pendingInbound()).toEqual([]);
  });

  it("saves no history when storing the reply fails", async () => {
    const { store, agent } = setup();
    await expect(
      agent.runTurn({ origin, text: "question", onCommit: () => { throw new Error("disk full"); } }),
    ).rejects.toThrow(/disk full/);
    expect(store.sessions.history("k")).toEqual([]);
  });
});
