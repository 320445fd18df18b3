// A heartbeat alert sent to a chat is kept in that chat's session history
// like any reply: a real Agent on the SQLite session store answers the
// person's follow-up with the alert in its context.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { sqliteBackend } from "../../src/store/sqlite-backend.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { Heartbeat } from "../../src/scheduler/heartbeat.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { setup } from "../agent/setup.ts";

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sb-hb-history-"));
  store = openStore(":memory:");
});
afterEach(async () => {
  store.close();
  await rm(dir, { recursive: true, force: true });
});

function heartbeat(agent: ReturnType<typeof setup>["agent"], sent: string[], target = { channel: "telegram", chatId: "1042" }) {
  return new Heartbeat({
    enabled: true,
    workspaceDir: dir,
    clock: new ManualClock(Date.UTC(2026, 0, 1, 12, 0)),
    runTurn: async (turn) => (await agent.runTurn(turn)).text,
    lastActiveChat: () => target,
    isAllowed: () => true,
    send: async (_channel, _chatId, text) => void sent.push(text),
    sessions: sqliteBackend(store).sessions,
  });
}

describe("heartbeat alerts in the chat's history", () => {
  it("a follow-up question is answered with the alert in the conversation", async () => {
    const { agent, router, origin } = setup({ sessions: sqliteBackend(store).sessions });
    await writeFile(join(dir, "HEARTBEAT.md"), "- check the disk usage of the server\n");
    router.push("Hi! How can I help?", "The disk of the server is 95% full.", "I meant the /var partition.");
    await agent.runTurn({ origin, text: "hello" });

    const sent: string[] = [];
    expect(await heartbeat(agent, sent).beat()).toMatchObject({ outcome: "delivered", to: { channel: "telegram", chatId: "1042" } });
    expect(sent).toEqual(["The disk of the server is 95% full."]);
    expect(store.sessions.history(origin.sessionKey).map((m) => [m.message.role, m.message.content])).toEqual([
      ["user", "hello"],
      ["assistant", "Hi! How can I help?"],
      ["assistant", "The disk of the server is 95% full."],
    ]);

    await agent.runTurn({ origin, text: "which disk do you mean?" });
    const asked = router.messages(2).filter((m) => m.role !== "system").map((m) => [m.role, m.content]);
    expect(asked).toEqual([
      ["user", "hello"],
      ["assistant", "Hi! How can I help?"],
      ["assistant", "The disk of the server is 95% full."],
      ["user", "which disk do you mean?"],
    ]);
  });

  it("an alert to a chat without a session is still sent, and nothing is recorded", async () => {
    const { agent, router } = setup({ sessions: sqliteBackend(store).sessions });
    await writeFile(join(dir, "HEARTBEAT.md"), "- check the mail\n");
    router.push("You have 3 unread messages.");
    const sent: string[] = [];
    expect(await heartbeat(agent, sent, { channel: "discord", chatId: "777" }).beat()).toMatchObject({ outcome: "delivered" });
    expect(sent).toEqual(["You have 3 unread messages."]);
    expect(store.sessions.listSessions().filter((s) => s.chatId === "777")).toEqual([]);
  });
});
