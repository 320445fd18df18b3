// A poll's updates are handed over together, so the gateway's store can
// commit them as one group. The offset still confirms only what was stored:
// an update that fails is fetched again with every update after it, and
// those that were stored already are duplicates the inbox recognises.
import { afterEach, describe, expect, it } from "vitest";
import type { InboundMessage } from "../../../src/core/channel.ts";
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
