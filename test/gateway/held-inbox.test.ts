// A turn starts from the inbox rows its messages' own inserts returned: on a
// store the gateway has to itself the inbox is not read back per message.
// What an earlier life (or a storage fault) left waiting is still read and
// answered, a /stop still closes what waited, and the heartbeat target is
// written only when the answered chat changes.
import { describe, expect, it } from "vitest";
import type { InboundMessage } from "../../src/core/channel.ts";
import type { GatewayTurnInput, GatewayTurnResult } from "../../src/gateway/pipeline.ts";
import { HELD_ROWS, HeldInbox } from "../../src/gateway/held-inbox.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { sqliteBackend } from "../../src/store/sqlite-backend.ts";
import type { InboundRecord } from "../../src/store/types.ts";
import { setupPipeline, until, useCleanup, type SetupOptions } from "./pipeline-helpers.ts";

const cleanup = useCleanup();

const msg = (id: string, text: string, over: Partial<InboundMessage> = {}): InboundMessage => ({
  channel: "test", chatId: "c1", chatType: "direct", messageId: id, senderId: "u1", text, ...over,
});

const echo = async (i: GatewayTurnInput): Promise<GatewayTurnResult> => ({ text: `re: ${i.text}`, media: [] });

/** counts the pipeline's reads of waiting inbox rows */
function countReads(store: Store): { reads: string[] } {
  const delivery = sqliteBackend(store).delivery;
  const read = delivery.pendingInbound.bind(delivery);
  const out = { reads: [] as string[] };
  delivery.pendingInbound = (key?: string) => {
    out.reads.push(key ?? "*");
    return read(key);
  };
  return out;
}

const row = (id: number, sessionKey: string, payload: unknown = { text: `m${id}`, chatType: "direct" }): InboundRecord => ({
  id, channel: "test", chatId: "c1", messageId: String(id), sessionKey, senderId: "u1", payload, state: "pending", receivedAt: 0,
});

describe("the held inbox", () => {
  it("gives a session's rows back in order once recovery is done, and the store's answer after a gap", () => {
    const h = new HeldInbox();
    h.add(row(1, "a"));
    expect(h.take("a")).toBeUndefined(); // recovery has not listed what an earlier life left
    h.recovered();
    h.putBack("a", [row(0, "a")]);
    expect(h.take("a")?.map((r) => r.id)).toEqual([0, 1]);
    expect(h.take("a")).toEqual([]);
    h.add(row(2, "a"));
    h.gap("a");
    expect(h.take("a")).toBeUndefined();
    const at = h.reading();
    h.add(row(3, "a")); // stored while the store was read: the read may or may not have seen it
    h.read("a", at, [row(2, "a")]);
    expect(h.take("a")?.map((r) => r.id)).toEqual([3]);
    expect(h.size).toBe(0);
  });

  it("keeps a gap that was marked after a read began, and holds no media and no more than its limit", () => {
    const h = new HeldInbox();
    h.recovered();
    const at = h.reading();
    h.gap("a");
    h.read("a", at, []);
    expect(h.take("a")).toBeUndefined();
    h.add(row(1, "m", { text: "look", chatType: "direct", media: [{ kind: "image" }] }));
    expect(h.take("m")).toBeUndefined();
    for (let i = 0; i < HELD_ROWS; i++) h.add(row(10 + i, `s${i}`));
    h.add(row(5_000, "late"));
    expect(h.size).toBe(HELD_ROWS);
    expect(h.take("late")).toBeUndefined();
    expect(h.take("s0")?.map((r) => r.id)).toEqual([10]);
  });
});

describe("turns from the held inbox", () => {
  it("answers messages, including those gathered during a turn, without reading the inbox back", async () => {
    const texts: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { store, adapter, pipeline } = setupPipeline(cleanup, async (i) => {
      texts.push(i.text);
      if (texts.length === 1) await gate;
      return echo(i);
    });
    const { reads } = countReads(store);
    await pipeline.accept(msg("1", "one"));
    await until(() => texts.length === 1, "the first turn");
    await pipeline.accept(msg("2", "two"));
    await pipeline.accept(msg("3", "three", { senderId: "u2", chatId: "c2" }));
    release();
    await until(() => adapter.sent.length === 3, "three answers");
    expect(texts.sort()).toEqual(["one", "three", "two"]);
    expect(reads).toEqual([]);
    expect(store.delivery.pendingInbound()).toEqual([]);
  });

  it("a restarted gateway reads what its earlier life left and answers it once, then goes on from memory", async () => {
    const store = openStore(":memory:");
    cleanup.stores.push(store);
    store.delivery.acceptInbound({ channel: "test", chatId: "c1", messageId: "old", sessionKey: "test:dm:u1", senderId: "u1", payload: { text: "from before", chatType: "direct" }, receivedAt: 1 });
    const texts: string[] = [];
    const { adapter, pipeline } = setupPipeline(cleanup, async (i) => (texts.push(i.text), echo(i)), { store });
    const { reads } = countReads(store);
    await pipeline.accept(msg("new", "after")); // before recovery ran: the session is read, not taken from memory
    await pipeline.recover();
    await until(() => adapter.sent.length >= 1, "the answer");
    await until(() => pipeline.runningSessions === 0, "the turns to end");
    expect(texts.join("|")).toMatch(/from before/);
    expect(texts.join("|")).toMatch(/after/);
    expect(store.delivery.pendingInbound()).toEqual([]);
    const before = reads.length;
    await pipeline.accept(msg("later", "and again"));
    await until(() => texts.at(-1) === "and again", "the later turn");
    expect(reads).toHaveLength(before); // memory again once the store's answer covered the gap
    expect(texts.filter((t) => t.includes("from before"))).toHaveLength(1);
  });

  it("rows a failed store write left waiting are read back and answered once the store works again", async () => {
    let turns = 0;
    const { store, adapter, pipeline } = setupPipeline(cleanup, async (i) => {
      if (++turns === 1) throw Object.assign(new Error("database or disk is full"), { errcode: 13, code: "ERR_SQLITE_ERROR" });
      return echo(i);
    }, { health: true });
    const { reads } = countReads(store);
    await pipeline.accept(msg("1", "hello"));
    await until(() => store.health.state !== "ok", "the fault to be seen");
    await until(() => adapter.sent.length === 1, "the answer after the store recovered");
    expect(adapter.sent[0]!.chunk.text).toBe("re: hello");
    expect(reads).toEqual(["test:dm:u1"]);
  });
});

describe("a new chat's first turn", () => {
  /** turns that note whether they were told the session is new, and save history as the agent does (creating the session); `held` waits for release */
  function newSessionTurns(held: string, opts: SetupOptions = {}) {
    const seen: [string, boolean][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const setup = setupPipeline(cleanup, async (i) => {
      seen.push([i.text, i.newSession === true]);
      if (i.text === held) await gate;
      setup.store.sessions.saveTurn(i.origin.sessionKey, { messages: [{ role: "user", content: i.text }], now: 1 });
      return echo(i);
    }, opts);
    return { ...setup, seen, release };
  }

  it("is told its session is new only while nothing here can have created it since its messages were stored", async () => {
    const { seen, release, adapter, pipeline } = newSessionTurns("one");
    await pipeline.accept(msg("1", "one"));
    await until(() => seen.length === 1, "the first turn");
    await pipeline.accept(msg("2", "two")); // stored while the session's first turn runs: that turn creates the session
    release();
    await until(() => adapter.sent.length === 2, "two answers");
    await pipeline.accept(msg("3", "three")); // the session exists now
    await pipeline.accept(msg("4", "four", { senderId: "u2", chatId: "c2" })); // another new chat
    await until(() => adapter.sent.length === 4, "four answers");
    expect(seen).toEqual([["one", true], ["two", false], ["three", false], ["four", true]]);
  });

  it("another chat's messages in the same session, left for the next round, are not new any more", async () => {
    const { seen, release, adapter, pipeline } = newSessionTurns("blocker", { sessionKey: (m) => (m.senderId === "b" ? "other" : "shared"), maxTurns: 1 });
    await pipeline.accept(msg("0", "blocker", { senderId: "b", chatId: "cb" }));
    await until(() => seen.length === 1, "the blocking turn");
    // both wait for the one slot, then are taken together: the turn answers c1 and leaves c2 for the next round
    await pipeline.accept(msg("1", "one", { chatId: "c1" }));
    await pipeline.accept(msg("2", "two", { chatId: "c2" }));
    release();
    await until(() => adapter.sent.length === 3, "three answers");
    expect(seen).toEqual([["blocker", true], ["one", true], ["two", false]]);
  });
});

describe("the heartbeat target", () => {
  it("is written when the answered chat changes, not for every answer in the same chat", async () => {
    const writes: string[] = [];
    const { store, adapter, pipeline } = setupPipeline(cleanup, echo, {
      noteActiveChat: async (channel, chatId, kv) => {
        writes.push(chatId);
        await kv.set("last_active_chat", { channel, chatId });
      },
    });
    const send = async (id: string, chatId: string) => {
      const before = adapter.sent.length;
      await pipeline.accept(msg(id, `hi ${id}`, { chatId, senderId: chatId }));
      await until(() => adapter.sent.length === before + 1, `answer ${id}`);
    };
    await send("1", "a");
    await send("2", "a");
    await send("3", "a");
    await send("4", "b");
    await send("5", "a");
    expect(writes).toEqual(["a", "b", "a"]);
    expect(store.kv.get("last_active_chat")).toEqual({ channel: "test", chatId: "a" });
  });
  it("is written again after a turn whose transaction rolled back after writing it", async () => {
    const writes: string[] = [];
    let turns = 0;
    let store!: Store;
    const { adapter, pipeline, store: opened } = setupPipeline(cleanup, async (i) => {
      const result = { text: `re: ${i.text}`, media: [] as [] };
      if (++turns === 1) {
        await sqliteBackend(store).transaction(async (tx) => {
          await i.onCommit!(result, tx);
          throw new Error("the commit failed");
        });
      }
      return result;
    }, {
      noteActiveChat: async (channel, chatId, kv) => {
        writes.push(chatId);
        await kv.set("last_active_chat", { channel, chatId });
      },
    });
    store = opened;
    await pipeline.accept(msg("1", "first"));
    await until(() => adapter.sent.length === 1, "the failure's answer");
    expect(store.kv.get("last_active_chat")).toBeUndefined();
    await pipeline.accept(msg("2", "second"));
    await until(() => adapter.sent.length === 2, "the second answer");
    expect(writes).toEqual(["c1", "c1"]);
    expect(store.kv.get("last_active_chat")).toEqual({ channel: "test", chatId: "c1" });
  });
});
