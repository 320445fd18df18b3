import { describe, expect, it } from "vitest";
import { SwitchboardError } from "../../src/core/errors.ts";
import type { Store } from "../../src/store/index.ts";
import { restart, useTempDb } from "./helpers.ts";

const t = useTempDb();

const inbound = (messageId: string, over: Partial<{ chatId: string; sessionKey: string; channel: string; receivedAt: number }> = {}) => ({
  channel: "telegram",
  chatId: "1",
  messageId,
  sessionKey: "telegram:dm:1",
  senderId: "1",
  payload: { text: `hello ${messageId}`, media: [{ kind: "image", data: "aGk=" }] },
  receivedAt: 1000,
  ...over,
});

const reply = (replyId: string, chunks: unknown[], answers: number[] = [], over: Partial<{ channel: string; chatId: string; now: number }> = {}) => ({
  channel: "telegram",
  chatId: "1",
  replyId,
  chunks,
  answers,
  now: 2000,
  ...over,
});

const due = (s: Store, now = Number.MAX_SAFE_INTEGER, channel?: string) => s.delivery.pendingOutbound(now, channel).map((r) => `${r.replyId}/${r.seq}`);

describe("inbox", () => {
  it("stores a message and returns it as pending, payload intact", () => {
    const s = t.open();
    const rec = s.delivery.acceptInbound(inbound("m1"))!;
    expect(rec).toEqual({ id: rec.id, ...inbound("m1"), state: "pending", sessionExisted: false });
    const { sessionExisted: _, ...stored } = rec;
    expect(s.delivery.pendingInbound()).toEqual([stored]);
  });

  it("says whether the message's session existed when it was stored", () => {
    const s = t.open();
    const first = s.delivery.acceptInbound(inbound("m1"))!;
    expect(first.sessionExisted).toBe(false);
    s.sessions.saveTurn(first.sessionKey, { messages: [{ role: "user", content: "hi" }], now: 1 });
    expect(s.delivery.acceptInbound(inbound("m2"))!.sessionExisted).toBe(true);
  });

  it("drops a redelivered message, even after a restart, but not the same id in another chat or channel", () => {
    let s = t.open();
    expect(s.delivery.acceptInbound(inbound("m1"))).toBeDefined();
    expect(s.delivery.acceptInbound(inbound("m1"))).toBeUndefined();
    s = restart(t, s);
    expect(s.delivery.acceptInbound({ ...inbound("m1"), payload: { text: "changed" } })).toBeUndefined();
    expect(s.delivery.acceptInbound(inbound("m1", { chatId: "2" }))).toBeDefined();
    expect(s.delivery.acceptInbound(inbound("m1", { channel: "discord" }))).toBeDefined();
    expect(s.delivery.pendingInbound().map((r) => [r.channel, r.chatId, (r.payload as { text: string }).text])).toEqual([
      ["telegram", "1", "hello m1"],
      ["telegram", "2", "hello m1"],
      ["discord", "1", "hello m1"],
    ]);
  });

  it("a duplicate of an answered message is still a duplicate", () => {
    const s = t.open();
    const rec = s.delivery.acceptInbound(inbound("m1"))!;
    s.delivery.enqueueReply(reply("r1", [{ text: "hi" }], [rec.id]));
    expect(s.delivery.acceptInbound(inbound("m1"))).toBeUndefined();
    expect(s.delivery.pendingInbound()).toEqual([]);
  });

  it("returns a message left processing by a crash after the restart, with its session", () => {
    let s = t.open();
    const a = s.delivery.acceptInbound(inbound("m1"))!;
    s.delivery.acceptInbound(inbound("m2", { sessionKey: "discord:dm:7" }));
    s.delivery.markInbound([a.id], "processing");
    s = restart(t, s);
    expect(s.delivery.sessionsWithPendingInbound()).toEqual(["telegram:dm:1", "discord:dm:7"]);
    expect(s.delivery.pendingInbound("telegram:dm:1").map((r) => [r.messageId, r.state])).toEqual([["m1", "processing"]]);
    expect(s.delivery.pendingInbound("discord:dm:7").map((r) => [r.messageId, r.state])).toEqual([["m2", "pending"]]);
  });

  it("lists sessions oldest waiting message first", () => {
    const s = t.open();
    s.delivery.acceptInbound(inbound("m1", { sessionKey: "zeta" }));
    s.delivery.acceptInbound(inbound("m2", { sessionKey: "alpha" }));
    s.delivery.acceptInbound(inbound("m3", { sessionKey: "zeta" }));
    expect(s.delivery.sessionsWithPendingInbound()).toEqual(["zeta", "alpha"]);
  });

  it("failed messages keep their error and are not retried", () => {
    const s = t.open();
    const a = s.delivery.acceptInbound(inbound("m1"))!;
    s.delivery.markInbound([a.id], "processing", { turnId: "turn-1" });
    s.delivery.markInbound([a.id], "failed", { error: "x".repeat(2000) });
    expect(s.delivery.pendingInbound()).toEqual([]);
    expect(s.delivery.sessionsWithPendingInbound()).toEqual([]);
    const row = s.db.prepare("SELECT state, turn_id, length(error) AS n FROM inbox").get();
    expect(row).toEqual({ state: "failed", turn_id: "turn-1", n: 500 });
  });
});

describe("enqueueReply", () => {
  it("stores every chunk in order and marks the answered messages done, in one go", () => {
    let s = t.open();
    const a = s.delivery.acceptInbound(inbound("m1"))!;
    const b = s.delivery.acceptInbound(inbound("m2"))!;
    const c = s.delivery.acceptInbound(inbound("m3"))!;
    const out = s.delivery.enqueueReply(reply("r1", [{ text: "a" }, { text: "b" }, { text: "c" }], [a.id, b.id]));
    expect(out.map((r) => [r.seq, r.state, r.attempts, r.notBefore, r.createdAt])).toEqual([
      [0, "pending", 0, 0, 2000],
      [1, "pending", 0, 0, 2000],
      [2, "pending", 0, 0, 2000],
    ]);
    s = restart(t, s);
    expect(s.delivery.pendingInbound().map((r) => r.id)).toEqual([c.id]);
    expect(s.db.prepare("SELECT id, state, turn_id FROM inbox WHERE state = 'done' ORDER BY id").all()).toEqual([
      { id: a.id, state: "done", turn_id: "r1" },
      { id: b.id, state: "done", turn_id: "r1" },
    ]);
    expect(s.delivery.pendingOutbound(2000).map((r) => (r.chunk as { text: string }).text)).toEqual(["a", "b", "c"]);
  });

  it("writes nothing when it fails half way: no chunk, and the message still pending", () => {
    let s = t.open();
    const rec = s.delivery.acceptInbound(inbound("m1"))!;
    s.delivery.markInbound([rec.id], "processing");
    const poison = {
      toJSON() {
        throw new Error("disk on fire");
      },
    };
    expect(() => s.delivery.enqueueReply(reply("r1", [{ text: "first" }, poison], [rec.id]))).toThrow("disk on fire");
    expect(s.db.isTransaction).toBe(false);
    s = restart(t, s);
    expect(s.delivery.pendingOutbound(Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect(s.delivery.pendingInbound().map((r) => r.state)).toEqual(["processing"]);
    // and the same reply id can be used for the retry
    s.delivery.enqueueReply(reply("r1", [{ text: "first" }, { text: "second" }], [rec.id]));
    expect(due(s)).toEqual(["r1/0", "r1/1"]);
    expect(s.delivery.pendingInbound()).toEqual([]);
  });

  it("refuses a reply id that is already queued, changing nothing", () => {
    const s = t.open();
    const rec = s.delivery.acceptInbound(inbound("m1"))!;
    s.delivery.enqueueReply(reply("pairing-telegram-1-m1", [{ text: "code" }]));
    let err: unknown;
    try {
      s.delivery.enqueueReply(reply("pairing-telegram-1-m1", [{ text: "code again" }, { text: "more" }], [rec.id]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SwitchboardError);
    expect((err as SwitchboardError).message).toMatch(/already in the outbox/);
    expect(s.delivery.pendingOutbound(Number.MAX_SAFE_INTEGER).map((r) => r.chunk)).toEqual([{ text: "code" }]);
    expect(s.delivery.pendingInbound()).toHaveLength(1);
  });

  it("an empty reply still marks its messages done", () => {
    const s = t.open();
    const rec = s.delivery.acceptInbound(inbound("m1"))!;
    expect(s.delivery.enqueueReply(reply("r", [], [rec.id]))).toEqual([]);
    expect(s.delivery.pendingInbound()).toEqual([]);
  });
});

describe("outbox", () => {
  it("hands out chunks by reply, then seq, and filters by channel", () => {
    const s = t.open();
    s.delivery.enqueueReply(reply("zz-first", [{ n: 0 }, { n: 1 }]));
    s.delivery.enqueueReply(reply("aa-second", [{ n: 0 }], [], { channel: "discord" }));
    s.delivery.enqueueReply(reply("mm-third", [{ n: 0 }, { n: 1 }, { n: 2 }]));
    expect(due(s)).toEqual(["zz-first/0", "zz-first/1", "aa-second/0", "mm-third/0", "mm-third/1", "mm-third/2"]);
    // one channel's come in the same order (read straight from the waiting index, no sort)
    expect(due(s, Number.MAX_SAFE_INTEGER, "telegram")).toEqual(["zz-first/0", "zz-first/1", "mm-third/0", "mm-third/1", "mm-third/2"]);
    expect(due(s, Number.MAX_SAFE_INTEGER, "discord")).toEqual(["aa-second/0"]);
    expect(due(s, Number.MAX_SAFE_INTEGER, "whatsapp")).toEqual([]);
  });

  it("respects not-before, and never lets a later chunk overtake an earlier one of the same reply", () => {
    const s = t.open();
    const [a0] = s.delivery.enqueueReply(reply("a", [{ n: 0 }, { n: 1 }]));
    s.delivery.enqueueReply(reply("b", [{ n: 0 }]));
    s.delivery.markFailed(a0!.id, "429 Too Many Requests", 5000, false);
    expect(due(s, 4999)).toEqual(["b/0"]); // a/1 waits for a/0; other replies go ahead
    expect(due(s, 4999, "telegram")).toEqual(["b/0"]);
    expect(due(s, 5000)).toEqual(["a/0", "a/1", "b/0"]); // in order, the sender stops a reply at its first failure
    expect(due(s, 5000, "telegram")).toEqual(["a/0", "a/1", "b/0"]);
    s.delivery.markSent([{ id: a0!.id, platformMessageId: "pm-1" }], 5000);
    expect(due(s, 5000)).toEqual(["a/1", "b/0"]);
    const sent = s.db.prepare("SELECT state, attempts, sent_at, platform_message_id, last_error FROM outbox WHERE id = ?").get(a0!.id);
    expect(sent).toEqual({ state: "sent", attempts: 2, sent_at: 5000, platform_message_id: "pm-1", last_error: null });
  });

  it("a channel's first page holds the same chunks whether or not a later chunk waits behind a held-back one", () => {
    const s = t.open();
    const page = (limit: number) => s.delivery.pendingOutbound(4999, "telegram", limit).map((r) => `${r.replyId}/${r.seq}`);
    const [a0] = s.delivery.enqueueReply(reply("a", [{ n: 0 }, { n: 1 }]));
    s.delivery.enqueueReply(reply("b", [{ n: 0 }]));
    s.delivery.enqueueReply(reply("c", [{ n: 0 }]));
    expect(page(1)).toEqual(["a/0"]);
    expect(page(2)).toEqual(["a/0", "a/1"]);
    s.delivery.markFailed(a0!.id, "429 Too Many Requests", 5000, false);
    // a/1 is pending and due by its own time, but waits for a/0: the page is filled from the replies after it
    expect(page(1)).toEqual(["b/0"]);
    expect(page(2)).toEqual(["b/0", "c/0"]);
    expect(page(10)).toEqual(["b/0", "c/0"]);
  });

  it("records a page of sends in one statement, each chunk with its own platform message id", () => {
    const s = t.open();
    const chunks = s.delivery.enqueueReply(reply("a", [{ n: 0 }, { n: 1 }, { n: 2 }]));
    const before = s.db.prepare("SELECT total_changes() AS n").get() as { n: number };
    s.delivery.markSent(chunks.map((c) => ({ id: c.id, platformMessageId: `pm-${c.seq}` })), 70);
    expect((s.db.prepare("SELECT total_changes() AS n").get() as { n: number }).n - before.n).toBe(3);
    expect(s.db.prepare("SELECT seq, state, attempts, sent_at, platform_message_id FROM outbox ORDER BY seq").all()).toEqual(
      [0, 1, 2].map((seq) => ({ seq, state: "sent", attempts: 1, sent_at: 70, platform_message_id: `pm-${seq}` })),
    );
  });

  it("keeps dead letters out of the queue, newest first, and lets the rest of a reply through", () => {
    let s = t.open();
    const [x0] = s.delivery.enqueueReply(reply("x", [{ n: 0 }, { n: 1 }]));
    const [y0] = s.delivery.enqueueReply(reply("y", [{ n: 0 }], [], { chatId: "gone" }));
    s.delivery.markFailed(x0!.id, "message is too long", 0, true);
    s.delivery.markFailed(y0!.id, "timeout", 100, false);
    s.delivery.markFailed(y0!.id, "chat not found", 200, true);
    s = restart(t, s);
    expect(due(s)).toEqual(["x/1"]);
    expect(s.delivery.deadLetters().map((d) => [d.replyId, d.state, d.attempts, d.lastError, d.chatId])).toEqual([
      ["y", "dead", 2, "chat not found", "gone"],
      ["x", "dead", 1, "message is too long", "1"],
    ]);
    expect(s.delivery.deadLetters(1)).toHaveLength(1);
    expect(s.delivery.counts()).toEqual({ inboundPending: 0, outboundPending: 1, dead: 2 });
    // a late failure report cannot resurrect a dead chunk
    s.delivery.markFailed(x0!.id, "late", 0, false);
    expect(due(s)).toEqual(["x/1"]);
  });

  it("puts a dead letter back in the queue by hand, or drops it for good", () => {
    const s = t.open();
    const [x0] = s.delivery.enqueueReply(reply("x", [{ n: 0 }]));
    const [y0] = s.delivery.enqueueReply(reply("y", [{ n: 0 }]));
    s.delivery.markFailed(x0!.id, "bot was blocked", 0, true);
    s.delivery.markFailed(y0!.id, "chat not found", 0, true);
    expect(due(s)).toEqual([]);
    expect(s.delivery.retryDead(x0!.id, 0)).toBe(true);
    expect(due(s)).toEqual(["x/0"]);
    expect(s.delivery.retryDead(x0!.id, 0)).toBe(false); // no longer dead
    expect(s.delivery.dropDead(y0!.id)).toBe(true);
    expect(s.delivery.dropDead(y0!.id)).toBe(false);
    expect(s.delivery.deadLetters()).toEqual([]);
    expect(s.delivery.dropDead(x0!.id)).toBe(false); // only dead letters can be dropped
  });

  it("a late failure report does not undo a send", () => {
    const s = t.open();
    const [c] = s.delivery.enqueueReply(reply("r", [{ n: 0 }]));
    s.delivery.markSent([{ id: c!.id, platformMessageId: "pm" }], 10);
    s.delivery.markFailed(c!.id, "timeout", 0, false);
    expect(due(s)).toEqual([]);
    expect(s.db.prepare("SELECT state FROM outbox").get()).toEqual({ state: "sent" });
  });

  it("prune deletes old answered messages and sent chunks, keeping open work and dead letters", () => {
    const s = t.open();
    const old = s.delivery.acceptInbound(inbound("old", { receivedAt: 100 }))!;
    const failed = s.delivery.acceptInbound(inbound("failed", { receivedAt: 100 }))!;
    s.delivery.acceptInbound(inbound("waiting", { receivedAt: 100 }));
    const fresh = s.delivery.acceptInbound(inbound("fresh", { receivedAt: 900 }))!;
    s.delivery.markInbound([failed.id], "failed", { error: "boom" });
    const [sent] = s.delivery.enqueueReply(reply("r-old", [{ n: 0 }], [old.id], { now: 100 }));
    const [dead] = s.delivery.enqueueReply(reply("r-dead", [{ n: 0 }], [], { now: 100 }));
    s.delivery.enqueueReply(reply("r-pending", [{ n: 0 }], [], { now: 100 }));
    s.delivery.enqueueReply(reply("r-fresh", [{ n: 0 }], [fresh.id], { now: 900 }));
    s.delivery.markSent([{ id: sent!.id, platformMessageId: "pm" }], 150);
    s.delivery.markFailed(dead!.id, "gone", 0, true);
    expect(s.delivery.prune(500)).toBe(3); // old + failed inbound, r-old chunk
    expect(s.db.prepare("SELECT message_id FROM inbox ORDER BY id").all()).toEqual([{ message_id: "waiting" }, { message_id: "fresh" }]);
    expect(s.db.prepare("SELECT reply_id FROM outbox ORDER BY id").all()).toEqual([{ reply_id: "r-dead" }, { reply_id: "r-pending" }, { reply_id: "r-fresh" }]);
    expect(s.delivery.prune(500)).toBe(0);
  });
});
