// A poll's updates are handed over together, so the gateway's store can
// commit them as one group. The offset still confirms only what was stored:
// an update that fails is fetched again with every update after it, and
// those that were stored already are duplicates the inbox recognises.
import { afterEach, describe, expect, it } from "vitest";
import type { InboundMessage } from "../../../src/core/channel.ts";
import { MAX_UPDATES_PER_POLL, pollLimit } from "../../../channels/telegram/poller.ts";
import { harness, until, type Harness } from "./harness.ts";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const polls = (h: Harness) => h.tg.calls.filter((c) => c.method === "getUpdates");

/** an inbox keyed like the real one (chat, message id): a second copy of a message is not stored again */
function inbox() {
  const rows = new Map<string, InboundMessage>();
  return {
    rows,
    store: (m: InboundMessage) => {
      const key = `${m.chatId}/${m.messageId}`;
      if (!rows.has(key)) rows.set(key, m);
    },
  };
}

describe("telegram polling: a poll's updates are handed over together", () => {
  it("hands every update of a poll over before the first has been stored", async () => {
    h = await harness();
    let inFlight = 0;
    let most = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    h.onEmit = async (msg) => {
      most = Math.max(most, ++inFlight);
      if (most === 4) release();
      await gate;
      inFlight--;
      h.emitted.push(msg);
    };
    const sent = ["a", "b", "c", "d"].map((text) => h.tg.userMessage({ text }));
    await h.start();
    await h.waitForEmitted(4);
    expect(most).toBe(4);
    expect(h.emitted.map((m) => m.text).sort()).toEqual(["a", "b", "c", "d"]);
    await h.tg.waitForCall("getUpdates", (c) => c.params.offset === sent[3]!.update_id + 1);
    expect(h.tg.pending()).toEqual([]);
  });

  it("one update that cannot be stored does not sink the rest: nothing is lost and nothing stored twice", async () => {
    h = await harness();
    const box = inbox();
    const handed: string[] = [];
    let failOnce = true;
    h.onEmit = async (msg) => {
      handed.push(msg.text);
      if (msg.text === "two" && failOnce) {
        failOnce = false;
        throw new Error("database or disk is full");
      }
      box.store(msg);
      h.emitted.push(msg);
    };
    const sent = ["one", "two", "three", "four"].map((text) => h.tg.userMessage({ text }));
    await h.start();
    await until(() => (box.rows.size === 4 ? true : undefined), 3000, "all four stored");
    // the offset moved past "one" only; "two" and everything after it came again
    expect(polls(h).some((c) => c.params.offset === sent[1]!.update_id)).toBe(true);
    await h.tg.waitForCall("getUpdates", (c) => c.params.offset === sent[3]!.update_id + 1);
    expect(h.tg.pending()).toEqual([]);
    expect([...box.rows.values()].map((m) => m.text).sort()).toEqual(["four", "one", "three", "two"]);
    // "three" and "four" were handed over twice (stored, then redelivered with "two"), "one" once
    expect(handed.filter((t) => t === "one")).toHaveLength(1);
    expect(handed.filter((t) => t === "three")).toHaveLength(2);
  });
});

describe("telegram polling: a poll asks for what the gateway can take", () => {
  it("asks for the gateway's read-ahead at each poll, so a burst waits at Telegram rather than in memory", async () => {
    h = await harness();
    let wanted = 3;
    h.readAhead = () => wanted;
    for (let i = 0; i < 7; i++) h.tg.userMessage({ text: `m${i}` });
    await h.start();
    await h.waitForEmitted(6);
    wanted = 10;
    await h.waitForEmitted(7);
    await h.tg.waitForCall("getUpdates", (c) => Number(c.params.limit) === 10);
    // polls of 3 while the gateway wanted 3, then of 10
    expect(polls(h).slice(0, 2).map((c) => Number(c.params.limit))).toEqual([3, 3]);
    expect(h.emitted.map((m) => m.text)).toEqual(["m0", "m1", "m2", "m3", "m4", "m5", "m6"]);
  });

  it("asks for Telegram's maximum when the gateway puts no bound on it", async () => {
    h = await harness();
    h.tg.userMessage({ text: "one" });
    await h.start();
    await h.waitForEmitted(1);
    expect(Number(polls(h)[0]!.params.limit)).toBe(MAX_UPDATES_PER_POLL);
  });

  it("keeps the limit within the Bot API's 1–100", () => {
    expect(pollLimit(undefined)).toBe(100);
    expect(pollLimit(Number.NaN)).toBe(100);
    expect(pollLimit(250)).toBe(100);
    expect(pollLimit(0)).toBe(1);
    expect(pollLimit(-4)).toBe(1);
    expect(pollLimit(16.7)).toBe(16);
  });
});
