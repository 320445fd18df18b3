// Inbox and outbox: the same behaviour on SQLite and PostgreSQL.
import { expect, it } from "vitest";
import { contract } from "./harness.ts";

const msg = (messageId: string, over: Partial<{ channel: string; chatId: string; sessionKey: string; receivedAt: number }> = {}) => ({
  channel: over.channel ?? "telegram",
  chatId: over.chatId ?? "c1",
  messageId,
  sessionKey: over.sessionKey ?? "s1",
  senderId: "u1",
  payload: { text: `hello ${messageId}`, media: [{ kind: "image", ref: "m1" }], flag: true, nul: "a\u0000b" },
  receivedAt: over.receivedAt ?? 1000,
});

contract("delivery", (h) => {
  it("says whether a stored message's session existed when it was stored", async () => {
    expect((await h.store.delivery.acceptInbound(msg("m1")))?.sessionExisted).toBe(false);
    await h.store.sessions.saveTurn("s1", { messages: [{ role: "user", content: "hi" }], now: 1 });
    expect((await h.store.delivery.acceptInbound(msg("m2")))?.sessionExisted).toBe(true);
    expect((await h.store.delivery.pendingInbound()).map((r) => r.sessionExisted)).toEqual([undefined, undefined]); // only the insert says it
  });

  it("stores an inbound message once; a redelivery, even through another connection, is a duplicate", async () => {
    const first = await h.store.delivery.acceptInbound(msg("m1"));
    expect(first).toMatchObject({ id: 1, state: "pending", messageId: "m1", payload: msg("m1").payload, receivedAt: 1000 });
    expect(await h.store.delivery.acceptInbound(msg("m1"))).toBeUndefined();
    const other = await h.another();
    expect(await other.delivery.acceptInbound(msg("m1"))).toBeUndefined();
    // the same platform id in another chat or channel is another message
    expect(await h.store.delivery.acceptInbound(msg("m1", { chatId: "c2" }))).toBeDefined();
    expect(await h.store.delivery.acceptInbound(msg("m1", { channel: "discord" }))).toBeDefined();
    expect((await h.store.delivery.pendingInbound()).map((r) => [r.channel, r.chatId])).toEqual([
      ["telegram", "c1"],
      ["telegram", "c2"],
      ["discord", "c1"],
    ]);
  });

  it("concurrent acceptInbound of the same message from two connections stores exactly one row", async () => {
    const other = await h.another();
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all([h.store.delivery.acceptInbound(msg(`race${round}`)), other.delivery.acceptInbound(msg(`race${round}`))]);
      expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    }
    expect(await h.store.delivery.pendingInbound()).toHaveLength(10);
  });

  it("lists open messages per session oldest first, processing ones included, and sessions by oldest waiting message", async () => {
    await h.store.delivery.acceptInbound(msg("a", { sessionKey: "s2" }));
    const b = (await h.store.delivery.acceptInbound(msg("b", { sessionKey: "s1" })))!;
    await h.store.delivery.acceptInbound(msg("c", { sessionKey: "s2" }));
    await h.store.delivery.markInbound([b.id], "processing");
    expect((await h.store.delivery.pendingInbound("s2")).map((r) => r.messageId)).toEqual(["a", "c"]);
    expect((await h.store.delivery.pendingInbound("s1")).map((r) => r.state)).toEqual(["processing"]);
    expect(await h.store.delivery.sessionsWithPendingInbound()).toEqual(["s2", "s1"]);
    await h.store.delivery.markInbound([b.id], "failed", { error: "x".repeat(2000), turnId: "t1" });
    expect(await h.store.delivery.pendingInbound("s1")).toEqual([]);
    expect(await h.store.delivery.sessionsWithPendingInbound()).toEqual(["s2"]);
  });

  it("queues every chunk of a reply in order and marks the answered messages done, in one transaction", async () => {
    const a = (await h.store.delivery.acceptInbound(msg("a")))!;
    const out = await h.store.delivery.enqueueReply({ channel: "telegram", chatId: "c1", replyId: "r1", chunks: [{ text: "one" }, { text: "two" }, { text: "three" }], answers: [a.id], now: 2000 });
    expect(out.map((c) => [c.seq, c.chunk, c.state, c.attempts, c.notBefore, c.createdAt])).toEqual([
      [0, { text: "one" }, "pending", 0, 0, 2000],
      [1, { text: "two" }, "pending", 0, 0, 2000],
      [2, { text: "three" }, "pending", 0, 0, 2000],
    ]);
    expect(out[0]!.id).toBeLessThan(out[1]!.id);
    expect(await h.store.delivery.pendingInbound()).toEqual([]);
    expect(await h.store.delivery.hasReply("r1")).toBe(true);
    expect(await h.store.delivery.hasReply("r2")).toBe(false);
    // a reply id queued twice is refused and changes nothing
    const b = (await h.store.delivery.acceptInbound(msg("b")))!;
    await expect(h.store.delivery.enqueueReply({ channel: "telegram", chatId: "c1", replyId: "r1", chunks: [{ text: "again" }], answers: [b.id], now: 3000 })).rejects.toThrow(/already in the outbox/);
    expect((await h.store.delivery.pendingInbound()).map((r) => r.id)).toEqual([b.id]);
    expect(await h.store.delivery.pendingOutbound(5000)).toHaveLength(3);
    // an empty reply still marks its messages done
    expect(await h.store.delivery.enqueueReply({ channel: "telegram", chatId: "c1", replyId: "r2", chunks: [], answers: [b.id], now: 3000 })).toEqual([]);
    expect(await h.store.delivery.pendingInbound()).toEqual([]);
  });

  it("a transaction that fails half way leaves neither the chunks nor the done mark", async () => {
    const a = (await h.store.delivery.acceptInbound(msg("a")))!;
    await expect(
      h.store.transaction(async (tx) => {
        await tx.delivery.enqueueReply({ channel: "telegram", chatId: "c1", replyId: "r1", chunks: [{ text: "one" }], answers: [a.id], now: 2000 });
        throw new Error("crash before commit");
      }),
    ).rejects.toThrow("crash before commit");
    expect(await h.store.delivery.pendingOutbound(5000)).toEqual([]);
    expect((await h.store.delivery.pendingInbound()).map((r) => r.state)).toEqual(["pending"]);
  });

  it("hands out chunks by reply then seq, filters by channel, gates on not-before, and never lets part 2 overtake part 1", async () => {
    await h.store.delivery.enqueueReply({ channel: "telegram", chatId: "c1", replyId: "r1", chunks: ["a0", "a1"], answers: [], now: 1 });
    await h.store.delivery.enqueueReply({ channel: "discord", chatId: "d1", replyId: "r2", chunks: ["b0"], answers: [], now: 1 });
    await h.store.delivery.enqueueReply({ channel: "telegram", chatId: "c2", replyId: "r3", chunks: ["c0", "c1"], answers: [], now: 1 });
    const due = await h.store.delivery.pendingOutbound(10);
    expect(due.map((c) => c.chunk)).toEqual(["a0", "a1", "b0", "c0", "c1"]);
    expect((await h.store.delivery.pendingOutbound(10, "discord")).map((c) => c.chunk)).toEqual(["b0"]);
    // a page: the first chunks in the same order
    expect((await h.store.delivery.pendingOutbound(10, undefined, 3)).map((c) => c.chunk)).toEqual(["a0", "a1", "b0"]);
    expect((await h.store.delivery.pendingOutbound(10, "telegram", 1)).map((c) => c.chunk)).toEqual(["a0"]);
    expect((await h.store.delivery.channelsWithPendingOutbound()).sort()).toEqual(["discord", "telegram"]);
    // part 1 of r1 waits out a rate limit until 500: part 2 waits with it
    await h.store.delivery.markFailed(due[0]!.id, "429", 500, false);
    expect((await h.store.delivery.pendingOutbound(10)).map((c) => c.chunk)).toEqual(["b0", "c0", "c1"]);
    expect(await h.store.delivery.nextOutboundAt()).toBe(0);
    // a drain's page of sends is recorded at once
    await h.store.delivery.markSent(
      [
        { id: due[2]!.id, platformMessageId: "p-b0" },
        { id: due[3]!.id, platformMessageId: "p-c0" },
        { id: due[4]!.id, platformMessageId: "p-c1" },
      ],
      20,
    );
    expect(await h.store.delivery.nextOutboundAt()).toBe(0); // a1 keeps not_before 0 behind a0
    const later = await h.store.delivery.pendingOutbound(500);
    expect(later.map((c) => [c.chunk, c.attempts, c.lastError])).toEqual([
      ["a0", 1, "429"],
      ["a1", 0, undefined],
    ]);
    // an uncounted failure (the channel was offline) leaves attempts alone
    await h.store.delivery.markFailed(due[1]!.id, "offline", 600, false, false);
    expect((await h.store.delivery.pendingOutbound(600)).find((c) => c.chunk === "a1")?.attempts).toBe(0);
    expect(await h.store.delivery.counts()).toEqual({ inboundPending: 0, outboundPending: 2, dead: 0 });
  });

  it("records several sends in one call, each with its own platform id; an empty list changes nothing", async () => {
    const rows = await h.store.delivery.enqueueReply({ channel: "telegram", chatId: "c1", replyId: "r1", chunks: ["x", "y", "z"], answers: [], now: 1 });
    await h.store.delivery.markSent([], 5);
    await h.store.delivery.markSent([{ id: rows[2]!.id, platformMessageId: "p-z" }, { id: rows[0]!.id, platformMessageId: "p-x" }], 50);
    const left = await h.store.delivery.pendingOutbound(100);
    expect(left.map((c) => c.chunk)).toEqual(["y"]);
    await h.store.delivery.markSent([{ id: rows[1]!.id, platformMessageId: "p-y" }], 60);
    expect(await h.store.delivery.pendingOutbound(100)).toEqual([]);
    expect(await h.store.delivery.counts()).toEqual({ inboundPending: 0, outboundPending: 0, dead: 0 });
  });

  it("records a send, and a late failure report does not undo it", async () => {
    const [c] = await h.store.delivery.enqueueReply({ channel: "telegram", chatId: "c1", replyId: "r1", chunks: ["x"], answers: [], now: 1 });
    await h.store.delivery.markSent([{ id: c!.id, platformMessageId: "p1" }], 50);
    await h.store.delivery.markFailed(c!.id, "late", 999, true);
    expect(await h.store.delivery.pendingOutbound(10_000)).toEqual([]);
    expect(await h.store.delivery.deadLetters()).toEqual([]);
    expect(await h.store.delivery.channelsWithPendingOutbound()).toEqual([]);
    expect(await h.store.delivery.nextOutboundAt()).toBeUndefined();
  });

  it("dead letters stay out of the queue, newest first, and can be retried or dropped by hand", async () => {
    const chunks = await h.store.delivery.enqueueReply({ channel: "telegram", chatId: "c1", replyId: "r1", chunks: ["a", "b", "c"], answers: [], now: 1 });
    await h.store.delivery.markFailed(chunks[0]!.id, "400 bad request", 0, true);
    await h.store.delivery.markFailed(chunks[1]!.id, "403 blocked", 0, true);
    // a dead chunk holds nothing back: "c" goes out
    expect((await h.store.delivery.pendingOutbound(10)).map((x) => x.chunk)).toEqual(["c"]);
    const dead = await h.store.delivery.deadLetters();
    expect(dead.map((d) => [d.chunk, d.state, d.lastError])).toEqual([
      ["b", "dead", "403 blocked"],
      ["a", "dead", "400 bad request"],
    ]);
    expect(await h.store.delivery.deadLetters(1)).toHaveLength(1);
    expect(await h.store.delivery.retryDead(chunks[0]!.id, 77)).toBe(true);
    expect(await h.store.delivery.retryDead(chunks[0]!.id, 77)).toBe(false); // no longer dead
    expect(await h.store.delivery.retryDead(chunks[2]!.id, 77)).toBe(false); // never dead
    const back = (await h.store.delivery.pendingOutbound(77)).find((x) => x.chunk === "a");
    expect(back).toMatchObject({ state: "pending", notBefore: 77 });
    expect(back?.lastError).toBeUndefined();
    expect(await h.store.delivery.dropDead(chunks[1]!.id)).toBe(true);
    expect(await h.store.delivery.dropDead(chunks[1]!.id)).toBe(false);
    expect(await h.store.delivery.dropDead(chunks[2]!.id)).toBe(false);
    expect(await h.store.delivery.counts()).toEqual({ inboundPending: 0, outboundPending: 2, dead: 0 });
  });

  it("prune deletes old answered messages and sent chunks, keeping open work and dead letters", async () => {
    const old = (await h.store.delivery.acceptInbound(msg("old", { receivedAt: 100 })))!;
    await h.store.delivery.acceptInbound(msg("open", { receivedAt: 100 }));
    const failed = (await h.store.delivery.acceptInbound(msg("failed", { receivedAt: 100 })))!;
    const recent = (await h.store.delivery.acceptInbound(msg("recent", { receivedAt: 5000 })))!;
    await h.store.delivery.markInbound([failed.id], "failed", { error: "x" });
    const [sent] = await h.store.delivery.enqueueReply({ channel: "telegram", chatId: "c1", replyId: "r1", chunks: ["s"], answers: [old.id], now: 100 });
    const [dead] = await h.store.delivery.enqueueReply({ channel: "telegram", chatId: "c1", replyId: "r2", chunks: ["d"], answers: [recent.id], now: 100 });
    await h.store.delivery.enqueueReply({ channel: "telegram", chatId: "c1", replyId: "r3", chunks: ["p"], answers: [], now: 100 });
    await h.store.delivery.markSent([{ id: sent!.id, platformMessageId: "p" }], 100);
    await h.store.delivery.markFailed(dead!.id, "gone", 0, true);
    expect(await h.store.delivery.prune(1000)).toBe(3); // old + failed inbound, the sent chunk
    expect((await h.store.delivery.pendingInbound()).map((r) => r.messageId)).toEqual(["open"]);
    expect(await h.store.delivery.deadLetters()).toHaveLength(1);
    expect(await h.store.delivery.pendingOutbound(10_000)).toHaveLength(1);
    // a pruned message is forgotten: the platform id can come in again
    expect(await h.store.delivery.prune(1000)).toBe(0);
    expect(await h.store.delivery.acceptInbound(msg("recent", { receivedAt: 6000 }))).toBeUndefined();
  });
});
