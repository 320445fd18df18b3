// Webhook mode through the gateway's real HTTP server: Feishu POSTs events
// (plain or encrypted and signed) to /webhook/feishu.
import { afterEach, describe, expect, it } from "vitest";
import { decryptEvent } from "../../../channels/feishu/crypto.ts";
import { WEBHOOK_PATH } from "../../../channels/feishu/adapter.ts";
import type { RunningHttpServer } from "../../../src/http/server.ts";
import { openIdFor, p2pChatIdFor } from "../../fakes/lark/server.ts";
import { encryptPayload, larkSignature, postWebhook, urlVerification } from "../../fakes/lark/webhook-sender.ts";
import { serveWebhooks } from "../../http/serve-webhooks.ts";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness | undefined;
let http: RunningHttpServer | undefined;
afterEach(async () => {
  await http?.close();
  await h?.close();
  http = undefined;
  h = undefined;
});

/** the adapter in webhook mode behind the gateway's fastify server; returns the route's URL */
async function serve(config: Record<string, unknown> = {}, start = true): Promise<{ h: Harness; url: string }> {
  h = await startHarness({ config: { mode: "webhook", ...config } });
  if (start) await h.start();
  const adapter = h.adapter;
  http = await serveWebhooks([{ id: "feishu", path: WEBHOOK_PATH }], () => adapter);
  return { h, url: `${http.url}${WEBHOOK_PATH}` };
}

function dm(h: Harness, text: string, extra: { eventId?: string } = {}) {
  return h.lark.event({ senderOpenId: openIdFor("alice"), chatId: p2pChatIdFor("alice"), chatType: "p2p", messageType: "text", content: { text }, ...extra });
}

describe("feishu webhook: url_verification", () => {
  it("answers the challenge when the verification token matches", async () => {
    const { h, url } = await serve({ encrypt_key: "" });
    const res = await postWebhook(url, urlVerification(h.lark.verificationToken, "ch-123"));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ challenge: "ch-123" });
  });

  it("answers an encrypted challenge", async () => {
    const { h, url } = await serve();
    const res = await postWebhook(url, urlVerification(h.lark.verificationToken, "ch-enc"), { encryptWith: h.lark.encryptKey });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ challenge: "ch-enc" });
  });

  it("answers the challenge even before the channel has started", async () => {
    const { h, url } = await serve({ encrypt_key: "" }, false);
    expect((await postWebhook(url, urlVerification(h.lark.verificationToken, "early"))).json).toEqual({ challenge: "early" });
  });

  it("refuses a challenge with the wrong token (401)", async () => {
    const { url } = await serve({ encrypt_key: "" });
    const res = await postWebhook(url, urlVerification("not-the-token"));
    expect(res.status).toBe(401);
    expect(res.text).not.toMatch(/challenge/);
  });
});

describe("feishu webhook: events", () => {
  it("takes a plain event with the right verification token and acknowledges after storing it", async () => {
    const { h, url } = await serve({ encrypt_key: "" });
    const ev = dm(h, "hello over webhook");
    const res = await postWebhook(url, ev.envelope);
    expect(res.status).toBe(200);
    expect(h.received).toHaveLength(1);
    expect(h.received[0]).toMatchObject({ channel: "feishu", chatType: "direct", text: "hello over webhook", messageId: ev.messageId, senderId: openIdFor("alice") });
  });

  it("refuses an event with the wrong verification token (401) and emits nothing", async () => {
    const { h, url } = await serve({ encrypt_key: "" });
    const ev = dm(h, "forged");
    (ev.envelope.header as Record<string, unknown>).token = "guess";
    expect((await postWebhook(url, ev.envelope)).status).toBe(401);
    const noToken = dm(h, "forged too");
    delete (noToken.envelope.header as Record<string, unknown>).token;
    expect((await postWebhook(url, noToken.envelope)).status).toBe(401);
    expect(h.received).toEqual([]);
  });

  it("decrypts an encrypted, signed event", async () => {
    const { h, url } = await serve();
    const ev = dm(h, "sealed message");
    const res = await postWebhook(url, ev.envelope, { encryptWith: h.lark.encryptKey, signWith: h.lark.encryptKey });
    expect(res.status).toBe(200);
    expect(h.received.map((m) => m.text)).toEqual(["sealed message"]);
  });

  it("works with only an encrypt key (the signature vouches for the body)", async () => {
    const { h, url } = await serve({ verification_token: "" });
    const ev = dm(h, "key only");
    delete (ev.envelope.header as Record<string, unknown>).token;
    expect((await postWebhook(url, ev.envelope, { encryptWith: h.lark.encryptKey, signWith: h.lark.encryptKey })).status).toBe(200);
    expect(h.received.map((m) => m.text)).toEqual(["key only"]);
  });

  it("refuses a missing or wrong X-Lark-Signature (401) when an encrypt key is set", async () => {
    const { h, url } = await serve();
    const ev = dm(h, "unsigned");
    expect((await postWebhook(url, ev.envelope, { encryptWith: h.lark.encryptKey })).status).toBe(401);
    expect((await postWebhook(url, ev.envelope, { encryptWith: h.lark.encryptKey, signWith: "another-key" })).status).toBe(401);
    expect((await postWebhook(url, ev.envelope, { encryptWith: h.lark.encryptKey, signature: "ab".repeat(32) })).status).toBe(401);
    expect(h.received).toEqual([]);
  });

  it("checks the signature over the bytes Feishu sent, not over re-serialised JSON", async () => {
    const { h, url } = await serve();
    const ev = dm(h, "spaced out");
    // what Feishu's servers send is not what JSON.stringify would produce from the parsed body
    const sealed = { encrypt: encryptPayload(h.lark.encryptKey, JSON.stringify(ev.envelope)) };
    const body = `{ "encrypt" :\n   ${JSON.stringify(sealed.encrypt)} }\n`;
    expect((await postWebhook(url, null, { rawBody: body, signWith: h.lark.encryptKey })).status).toBe(200);
    expect(h.received.map((m) => m.text)).toEqual(["spaced out"]);
    // one byte changed after signing: refused
    const again = dm(h, "tampered");
    const sealed2 = JSON.stringify({ encrypt: encryptPayload(h.lark.encryptKey, JSON.stringify(again.envelope)) });
    const res = await postWebhook(url, null, { rawBody: sealed2, signature: larkSignature("1", "n", h.lark.encryptKey, `${sealed2} `), headers: { "x-lark-request-timestamp": "1", "x-lark-request-nonce": "n" } });
    expect(res.status).toBe(401);
    expect(h.received).toHaveLength(1);
  });

  it("refuses a correctly signed call whose timestamp is stale or from the future (a replay)", async () => {
    const { h, url } = await serve();
    const now = Math.floor(Date.now() / 1000);
    for (const ts of [now - 3600, now + 3600]) {
      const res = await postWebhook(url, dm(h, `at ${ts}`).envelope, { encryptWith: h.lark.encryptKey, signWith: h.lark.encryptKey, timestamp: String(ts) });
      expect(res.status).toBe(401);
      expect(res.text).toMatch(/X-Lark-Request-Timestamp/);
    }
    const fresh = await postWebhook(url, dm(h, "fresh").envelope, { encryptWith: h.lark.encryptKey, signWith: h.lark.encryptKey, timestamp: String(now - 60) });
    expect(fresh.status).toBe(200);
    expect(h.received.map((m) => m.text)).toEqual(["fresh"]);
  });

  it("answers 400 to a body encrypted with another key, or encrypted with no key configured", async () => {
    const { h, url } = await serve();
    const ev = dm(h, "wrong key");
    const res = await postWebhook(url, ev.envelope, { encryptWith: "some-other-key", signWith: h.lark.encryptKey });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/encrypt_key does not match/);
    await http?.close();
    await h.close();
    const second = await serve({ encrypt_key: "" });
    const res2 = await postWebhook(second.url, dm(second.h, "x").envelope, { encryptWith: "k" });
    expect(res2.status).toBe(400);
    expect(res2.text).toMatch(/encrypt_key is not set/);
    expect(second.h.received).toEqual([]);
  });

  it("answers 400 with the reason to malformed events and emits nothing", async () => {
    const { h, url } = await serve({ encrypt_key: "" });
    const noId = dm(h, "x");
    delete (noId.envelope.header as Record<string, unknown>).event_id;
    const a = await postWebhook(url, noId.envelope);
    expect(a.status).toBe(400);
    expect(a.text).toMatch(/header\.event_id/);
    const noChat = dm(h, "x");
    delete ((noChat.envelope.event as Record<string, unknown>).message as Record<string, unknown>).chat_id;
    const b = await postWebhook(url, noChat.envelope);
    expect(b.status).toBe(400);
    expect(b.text).toMatch(/message\.chat_id/);
    expect((await postWebhook(url, { hello: "world" })).status).toBe(400);
    expect((await postWebhook(url, null, { rawBody: "{not json" })).status).toBe(400);
    // raw text straight into the handler (no JSON parser in front)
    expect((await h.adapter.handleWebhook({}, "{not json")).status).toBe(400);
    expect((await h.adapter.handleWebhook({}, Buffer.from([0xff, 0xfe]))).status).toBe(400);
    expect(h.received).toEqual([]);
  });

  it("emits a redelivered event (same event_id) once and acknowledges both", async () => {
    const { h, url } = await serve({ encrypt_key: "" });
    const ev = dm(h, "only once");
    expect((await postWebhook(url, ev.envelope)).status).toBe(200);
    expect((await postWebhook(url, ev.envelope)).status).toBe(200);
    const both = await Promise.all([postWebhook(url, dm(h, "twin", { eventId: "ev-twin" }).envelope), postWebhook(url, dm(h, "twin", { eventId: "ev-twin" }).envelope)]);
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    expect(h.received.map((m) => m.text)).toEqual(["only once", "twin"]);
  });

  it("answers 500 when the gateway could not store the event, and takes the redelivery", async () => {
    const { h, url } = await serve({ encrypt_key: "" });
    const ev = dm(h, "store me");
    h.failEmit = true;
    expect((await postWebhook(url, ev.envelope)).status).toBe(500);
    h.failEmit = false;
    expect((await postWebhook(url, ev.envelope)).status).toBe(200);
    expect(h.received.map((m) => m.text)).toEqual(["store me"]);
  });

  it("acknowledges events it does not handle without emitting", async () => {
    const { h, url } = await serve({ encrypt_key: "" });
    const ev = dm(h, "x");
    (ev.envelope.header as Record<string, unknown>).event_type = "im.message.message_read_v1";
    ev.envelope.event = { reader: { reader_id: { open_id: openIdFor("alice") } } };
    expect((await postWebhook(url, ev.envelope)).status).toBe(200);
    expect(h.received).toEqual([]);
  });

  it("answers 503 before start and 404 in long-connection mode", async () => {
    const { h, url } = await serve({ encrypt_key: "" }, false);
    expect((await postWebhook(url, dm(h, "too early").envelope)).status).toBe(503);
    await http?.close();
    http = undefined;
    await h.close();
    const ws = await startHarness();
    const res = await ws.adapter.handleWebhook({}, JSON.stringify(dm(ws, "wrong mode").envelope));
    expect(res.status).toBe(404);
    expect((JSON.parse(res.body!) as { error: string }).error).toMatch(/channels\.feishu\.mode to "webhook"/);
    await ws.close();
  });
});

describe("feishu event encryption", () => {
  it("decrypts what Feishu's scheme encrypts (independent implementations agree)", () => {
    const text = JSON.stringify({ hello: "世界", n: 1 });
    expect(decryptEvent("my-key", encryptPayload("my-key", text))).toBe(text);
    expect(() => decryptEvent("other-key", encryptPayload("my-key", text))).toThrow();
    expect(() => decryptEvent("my-key", "c2hvcnQ=")).toThrow(/wrong length/);
  });
});
