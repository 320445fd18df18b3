import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/core/clock.ts";
import { silentLogger } from "../../../src/core/logger.ts";
import { createTelegramAdapter } from "../../../channels/telegram/adapter.ts";
import { FakeTelegramApi } from "../../fakes/telegram-api.ts";
import { harness, rejection, until, type Harness } from "./harness.ts";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const polls = (h: Harness) => h.tg.calls.filter((c) => c.method === "getUpdates");

describe("telegram adapter: acknowledgement and recovery", () => {
  it("confirms an update only after emit resolved: a failed emit gets the same update again, stored once", async () => {
    h = await harness();
    let attempts = 0;
    let offsetsBeforeRetry: unknown[] = [];
    h.onEmit = async (msg) => {
      attempts++;
      if (attempts === 1) throw new Error("inbox unavailable");
      offsetsBeforeRetry = polls(h).map((c) => c.params.offset);
      h.emitted.push(msg);
    };
    await h.start();
    const u = h.tg.userMessage({ text: "keep me" });
    await h.waitForEmitted(1);
    expect(attempts).toBe(2);
    expect(h.emitted.map((m) => m.messageId)).toEqual([String((u.message as { message_id: number }).message_id)]);
    // the fake redelivered it because no poll had confirmed it yet
    expect(offsetsBeforeRetry).not.toContain(u.update_id + 1);
    await h.tg.waitForCall("getUpdates", (c) => c.params.offset === u.update_id + 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(h.emitted).toHaveLength(1);
    expect(attempts).toBe(2);
    expect(h.tg.pending()).toEqual([]);
  });

  it("keeps what was stored before a failure in the same batch and redelivers from the failed update", async () => {
    h = await harness();
    let failSecond = true;
    h.onEmit = async (msg) => {
      if (msg.text === "second" && failSecond) {
        failSecond = false;
        throw new Error("disk full");
      }
      h.emitted.push(msg);
    };
    h.tg.userMessage({ text: "first" });
    const second = h.tg.userMessage({ text: "second" });
    await h.start();
    await h.waitForEmitted(2);
    expect(h.emitted.map((m) => m.text)).toEqual(["first", "second"]);
    expect(polls(h).some((c) => c.params.offset === second.update_id)).toBe(true);
  });

  it("stop() ends a held long poll at once and is idempotent", async () => {
    h = await harness({ adapter: { pollTimeoutSeconds: 30 } });
    await h.start();
    await until(() => (h.tg.heldPolls() === 1 ? true : undefined), 2000, "a held poll");
    await h.adapter.stop();
    // the fake saw the client go away; a 30 s poll would still be held otherwise
    await until(() => (h.tg.heldPolls() === 0 ? true : undefined), 1000, "the poll to be dropped");
    await h.adapter.stop();
    const before = polls(h).length;
    h.tg.userMessage({ text: "after stop" });
    await new Promise((r) => setTimeout(r, 100));
    expect(polls(h).length).toBe(before);
    expect(h.emitted).toHaveLength(0);
  });

  it("stops polling when the context's signal is aborted", async () => {
    h = await harness({ adapter: { pollTimeoutSeconds: 30 } });
    await h.start();
    await until(() => (h.tg.heldPolls() === 1 ? true : undefined), 2000, "a held poll");
    h.controller.abort();
    await until(() => (h.tg.heldPolls() === 0 ? true : undefined), 1000, "the poll to be dropped");
  });

  it("reports reconnecting while getUpdates fails, backs off on the clock, and comes back online", async () => {
    const clock = new ManualClock();
    h = await harness({ clock, adapter: { initialBackoffMs: 1000, maxBackoffMs: 8000 } });
    h.tg.failNext("getUpdates", { error_code: 500, description: "Internal Server Error" }, { times: 2 });
    await h.start();
    const first = await h.waitForState("reconnecting");
    expect(first.detail).toMatch(/500.*retrying in 1 s/);
    await new Promise((r) => setTimeout(r, 50));
    expect(polls(h)).toHaveLength(1); // waiting for the clock, not hammering the server
    await until(() => (clock.advance(1000), polls(h).length >= 2 ? true : undefined), 2000, "second poll");
    await until(() => (h.statuses.at(-1)?.detail?.includes("retrying in 2 s") ? true : undefined), 2000, "doubled backoff");
    await until(() => (clock.advance(2000), polls(h).length >= 3 ? true : undefined), 2000, "third poll");
    h.tg.userMessage({ text: "back" });
    await h.waitForEmitted(1);
    expect(h.statuses.at(-1)?.state).toBe("online");
  });

  it("survives the Bot API server going away (connection refused) and returning", async () => {
    h = await harness();
    await h.start();
    await until(() => (h.tg.heldPolls() === 1 ? true : undefined), 2000, "a held poll");
    const { port, token } = h.tg;
    await h.tg.close();
    const down = await h.waitForState("reconnecting");
    expect(down.detail).toMatch(/network error calling Telegram getUpdates/);
    expect(down.detail).not.toContain(token);
    h.tg = await FakeTelegramApi.start({ bots: [{ token }], port });
    h.tg.userMessage({ text: "I'm back" });
    await h.waitForEmitted(1);
    expect(h.statuses.at(-1)?.state).toBe("online");
  });

  it("puts a 409 conflict (webhook set elsewhere, or a second poller) in the status and recovers after", async () => {
    h = await harness();
    await h.start();
    await until(() => (h.tg.heldPolls() === 1 ? true : undefined), 2000, "a held poll");
    // someone else polls with the same token: Telegram ends our held request with 409
    await fetch(`${h.tg.url}/bot${h.tg.token}/getUpdates?timeout=0`);
    const c1 = await h.waitForState("offline");
    expect(c1.detail).toMatch(/409 Conflict.*terminated by other getUpdates request.*another process polls with this bot token/);
    h.tg.userMessage({ text: "after conflict" });
    await h.waitForEmitted(1);
    expect(h.statuses.at(-1)?.state).toBe("online");

    await fetch(`${h.tg.url}/bot${h.tg.token}/setWebhook`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ url: "https://elsewhere.test/hook" }) });
    await until(() => (h.statuses.at(-1)?.detail?.includes("webhook is active") ? true : undefined), 2000, "webhook conflict");
    expect(h.statuses.at(-1)?.state).toBe("offline");
    await fetch(`${h.tg.url}/bot${h.tg.token}/deleteWebhook`);
    h.tg.userMessage({ text: "webhook gone" });
    await h.waitForEmitted(2);
    expect(h.statuses.at(-1)?.state).toBe("online");
  });

  it("fails start with a token hint (and no token) when the Bot API rejects the token", async () => {
    const tg = await FakeTelegramApi.start();
    const adapter = createTelegramAdapter({ token: "999:WRONG-token", api_base: tg.url }, { logger: silentLogger(), pollTimeoutSeconds: 1 });
    const err = await rejection(adapter.start({ emit: async () => undefined, setStatus: () => undefined, signal: new AbortController().signal }));
    expect(err.message).toMatch(/401 Unauthorized.*channels\.telegram\.token/);
    expect(err.message).not.toContain("WRONG-token");
    await tg.close();
  });

  it("probe() passes while the Bot API answers and throws once it does not", async () => {
    h = await harness();
    await h.start();
    await expect(h.adapter.probe!()).resolves.toBeUndefined();
    h.tg.failNext("getMe", { error_code: 502, description: "Bad Gateway" });
    await expect(h.adapter.probe!()).rejects.toThrow(/502/);
  });

  it("uses api_base for every call (trailing slash allowed) and for file downloads", async () => {
    const tg = await FakeTelegramApi.start();
    h = await harness({ tg, config: { api_base: `${tg.url}/` } });
    await h.start();
    h.tg.userMessage({ voice: { data: Buffer.from("OggS-self-hosted") } });
    const [m] = await h.waitForEmitted(1);
    expect(await m!.media![0]!.fetch!()).toEqual(Buffer.from("OggS-self-hosted"));
  });

  it("rejects an unusable config naming the key, never echoing the token", () => {
    const logger = silentLogger();
    expect(() => createTelegramAdapter({ token: "" }, { logger })).toThrow(/channels\.telegram\.token is empty/);
    expect(() => createTelegramAdapter({ token: "not a/token-SECRET" }, { logger })).toThrow(/channels\.telegram\.token does not look like a bot token/);
    expect(() => createTelegramAdapter({ token: "not a/token-SECRET" }, { logger })).not.toThrow(/SECRET/);
    expect(() => createTelegramAdapter({ token: "1:a", api_base: "localhost:8081" }, { logger })).toThrow(/channels\.telegram\.api_base/);
    expect(() => createTelegramAdapter({ token: "1:a", mode: "hook" as never }, { logger })).toThrow(/channels\.telegram\.mode/);
    expect(() => createTelegramAdapter({ token: "1:a", proxy: "ftp://x" }, { logger })).toThrow(/channels\.telegram\.proxy/);
    // empty strings, as config templates carry them, mean "not set"
    const a = createTelegramAdapter({ token: "1:a", api_base: "", proxy: "", webhook_secret: "" }, { logger });
    expect(a.mode).toBe("polling");
  });
});
