// A compaction runs after its turn, off the session's lane: the chat's next
// message is answered while the summary is still being written, every message
// saved meanwhile survives it, and a /reset, an overflow or shutdown abandons
// it without losing or doubling anything. These run on the real SQLite store.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../../src/agent/agent.ts";
import { compactSession, SUMMARY_INSTRUCTION } from "../../src/agent/compaction.ts";
import { ensureWorkspace } from "../../src/agent/workspace.ts";
import type { ChatMessage, ChatRequest } from "../../src/core/chat.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { ProviderError } from "../../src/providers/types.ts";
import { openSqliteBackend, type SqliteBackend } from "../../src/store/sqlite-backend.ts";
import { ToolRegistry } from "../../src/tools/registry.ts";
import { FakeRouter, type Step } from "./fake-router.ts";

const dirs: string[] = [];
const stores: SqliteBackend[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const origin = { sessionKey: "telegram:dm:7", channel: "telegram", chatId: "7", senderId: "7" };
const KEY = origin.sessionKey;

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "sb-bgcompact-"));
  dirs.push(dir);
  ensureWorkspace(join(dir, "ws"));
  const dbFile = join(dir, "switchboard.db");
  const router = new FakeRouter();
  const open = () => {
    const store = openSqliteBackend(dbFile);
    stores.push(store);
    return store;
  };
  const store = open();
  const agent = new Agent({ router, sessions: store.sessions, tools: new ToolRegistry(), workspaceDir: join(dir, "ws"), logger: silentLogger(), transaction: (fn) => store.transaction(fn) });
  return { router, store, agent, open };
}

/** 20 stored messages: the next turn takes the session past the limit */
async function fill(store: SqliteBackend): Promise<void> {
  const messages = Array.from({ length: 20 }, (_, i) => ({ role: i % 2 ? "assistant" : "user", content: `m${i}` }) as ChatMessage);
  await store.sessions.append(KEY, messages, 1);
}

/**
 * A summary step that answers only when released, and fails as a real
 * provider does when its request is aborted. `asked` resolves once the
 * summary request reached the model.
 */
function heldSummary(text: string) {
  let release!: () => void;
  let asked!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const reached = new Promise<void>((r) => (asked = r));
  const step: Step = (req: ChatRequest) =>
    new Promise<Step>((resolve, reject) => {
      asked();
      req.signal?.addEventListener("abort", () => reject(new ProviderError("aborted", "the summary request was aborted")));
      void released.then(() => resolve(text));
    });
  return { step, release, reached };
}

const isSummary = (req: { req: { messages: ChatMessage[] } }) => req.req.messages[0]?.content === SUMMARY_INSTRUCTION;
const contents = async (store: SqliteBackend) => (await store.sessions.history(KEY)).map((m) => m.message.content);

describe("a compaction after its turn", () => {
  it("does not hold up the chat's next message", async () => {
    const { router, store, agent } = setup();
    await fill(store);
    const summary = heldSummary("- twenty old messages");
    router.push("reply 1", summary.step, "reply 2");
    expect((await agent.runTurn({ origin, text: "q1" })).text).toBe("reply 1");
    await summary.reached;
    // the summary call is still open: the next message is answered anyway
    expect((await agent.runTurn({ origin, text: "q2" })).text).toBe("reply 2");
    expect(agent.compactions.has(KEY)).toBe(true);
    expect((await store.sessions.getSession(KEY))!.summary).toBe("");
    summary.release();
    await agent.compactions.idle();
    expect((await store.sessions.getSession(KEY))!.summary).toBe("- twenty old messages");
  });

  it("keeps every message saved while it ran, and summarizes that history once", async () => {
    const { router, store, agent } = setup();
    await fill(store);
    const summary = heldSummary("- the early chat");
    router.push("reply 1", summary.step, "reply 2", "reply 3");
    await agent.runTurn({ origin, text: "q1" });
    await summary.reached;
    // both turns end over the limit too, but leave the session to the compaction already running
    await agent.runTurn({ origin, text: "q2" });
    await agent.runTurn({ origin, text: "q3" });
    summary.release();
    await agent.compactions.idle();
    expect(await contents(store)).toEqual(["m16", "m17", "m18", "m19", "q1", "reply 1", "q2", "reply 2", "q3", "reply 3"]);
    expect((await store.sessions.getSession(KEY))!.summary).toBe("- the early chat");
    expect(router.requests.filter(isSummary)).toHaveLength(1);
    // the next turn reads the summary and the ten kept messages, and compacts nothing
    router.push("reply 4");
    await agent.runTurn({ origin, text: "q4" });
    await agent.compactions.idle();
    expect(router.system(router.requests.length - 1)).toContain("- the early chat");
    expect(router.requests.filter(isSummary)).toHaveLength(1);
  });

  it("a turn that read the history before a compaction finished does not summarize it again", async () => {
    const { router, store, agent } = setup();
    await fill(store);
    const summary = heldSummary("- the early chat");
    let answer!: () => void;
    let modelAsked!: () => void;
    const answered = new Promise<void>((r) => (answer = r));
    const secondAsked = new Promise<void>((r) => (modelAsked = r));
    router.push("reply 1", summary.step, async () => {
      modelAsked();
      await answered;
      return "reply 2";
    });
    await agent.runTurn({ origin, text: "q1" });
    await summary.reached;
    const second = agent.runTurn({ origin, text: "q2" }); // reads all 22 messages
    await secondAsked;
    summary.release();
    await agent.compactions.idle(); // compacted while the second turn waits for its answer
    answer();
    await second; // saved over the limit by its own reading, but the stored history is short now
    await agent.compactions.idle();
    expect(router.requests.filter(isSummary)).toHaveLength(1);
    expect(await contents(store)).toEqual(["m16", "m17", "m18", "m19", "q1", "reply 1", "q2", "reply 2"]);
  });

  it("/reset abandons a running compaction: the new session gets no summary of the old one", async () => {
    const { router, store, agent } = setup();
    await fill(store);
    const summary = heldSummary("- what the user said before the reset");
    router.push("reply 1", summary.step);
    await agent.runTurn({ origin, text: "q1" });
    await summary.reached;
    await agent.runTurn({ origin, text: "/reset" });
    expect(agent.compactions.has(KEY)).toBe(false);
    summary.release();
    expect((await store.sessions.getSession(KEY))!.summary).toBe("");
    expect(await contents(store)).toEqual([]);
  });

  it("a context overflow drops the running compaction and stores one summary of the whole history", async () => {
    const { router, store, agent } = setup();
    await fill(store);
    const summary = heldSummary("- abandoned summary");
    router.push("reply 1", summary.step, new ProviderError("context_overflow", "prompt is too long"), "- everything so far", "reply 2");
    await agent.runTurn({ origin, text: "q1" });
    await summary.reached;
    expect((await agent.runTurn({ origin, text: "q2" })).text).toBe("reply 2");
    summary.release();
    await agent.compactions.idle();
    expect((await store.sessions.getSession(KEY))!.summary).toBe("- everything so far");
    expect(await contents(store)).toEqual(["q2", "reply 2"]);
  });

  it("shutdown during a compaction loses nothing and writes no summary", async () => {
    const { router, store, agent, open } = setup();
    await fill(store);
    const summary = heldSummary("- never stored");
    router.push("reply 1", summary.step);
    await agent.runTurn({ origin, text: "q1" });
    await summary.reached;
    await agent.close(); // resolves without the summary: it was abandoned
    summary.release();
    expect(agent.compactions.size).toBe(0);
    await store.close();
    // started again: the whole history is there, uncompacted, for the next turn to compact
    const reopened = open();
    expect((await reopened.sessions.getSession(KEY))!.summary).toBe("");
    const history = (await reopened.sessions.history(KEY)).map((m) => m.message.content);
    expect(history).toHaveLength(22);
    expect(history.slice(-2)).toEqual(["q1", "reply 1"]);
  });

  it("a closed agent starts no compaction", async () => {
    const { router, store, agent } = setup();
    await fill(store);
    await agent.close();
    router.push("reply 1");
    await agent.runTurn({ origin, text: "q1" });
    expect(agent.compactions.size).toBe(0);
    expect(router.requests.filter(isSummary)).toHaveLength(0);
  });

  it("a summary that arrives after its compaction was abandoned is not stored", async () => {
    const { router, store } = setup();
    await fill(store);
    const controller = new AbortController();
    router.push(() => {
      controller.abort(); // e.g. /reset, between the model's answer and the store write
      return "- late summary";
    });
    await expect(compactSession({ router, sessions: store.sessions, now: () => 2 }, KEY, { signal: controller.signal })).rejects.toThrow();
    expect((await store.sessions.getSession(KEY))!.summary).toBe("");
    expect(await contents(store)).toHaveLength(20);
  });
});
