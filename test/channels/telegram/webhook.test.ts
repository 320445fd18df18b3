import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/core/logger.ts";
import type { RunningHttpServer } from "../../../src/http/server.ts";
import { createTelegramAdapter } from "../../../channels/telegram/adapter.ts";
import { serveWebhooks } from "../../http/serve-webhooks.ts";
import { harness, type Harness } from "./harness.ts";

/** the request body as the HTTP server hands it over: the raw bytes */
const raw = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

const SECRET = "s3cret_Token-1";
const URL_ = "https://bot.example.test/webhook/telegram";

let h: Harness;
let http: RunningHttpServer | undefined;
afterEach(async () => {
  await http?.close();
  http = undefined;
  await h?.close();
});

/** a real-shaped update, built by the fake (it also sits in the fake's poll queue, unused in webhook mode) */
function update(h: Harness, text = "via webhook") {
  return h.tg.userMessage({ text, fromId: 321, username: "wh_user" });
}

describe("telegram adapter: webhook mode", () => {
  it("registers the webhook with its secret and never polls", async () => {
    h = await harness({ config: { mode: "webhook", webhook_url: URL_, webhook_secret: SECRET } });
    await h.start();
    expect(h.tg.webhook()).toEqual({ url: URL_, secret_token: SECRET, allowed_updates: ["message"] });
    expect(h.statuses.at(-1)?.state).toBe("online");
    await h.tg.waitForCall("setMyCommands"); // the command menu, set after start
    await new Promise((r) => setTimeout(r, 50));
    expect(h.tg.calls.map((c) => c.method)).toEqual(["getMe", "setWebhook", "setMyCommands"]);
  });

  it("processes an update carrying the right secret header and acknowledges with 200", async () => {
    h = await harness({ config: { mode: "webhook", webhook_url: URL_, webhook_secret: SECRET } });
    await h.start();
    const res = await h.adapter.handleWebhook({ "x-telegram-bot-api-secret-token": SECRET, "content-type": "application/json" }, raw(update(h)));
    expect(res.status).toBe(200);
    expect(h.emitted).toHaveLength(1);
    expect(h.emitted[0]).toMatchObject({ channel: "telegram", chatId: "321", senderUsername: "wh_user", text: "via webhook" });
  });

  it("answers 401 to a wrong or missing secret and processes nothing", async () => {
    h = await harness({ config: { mode: "webhook", webhook_url: URL_, webhook_secret: SECRET } });
    await h.start();
    const u = update(h);
    expect((await h.adapter.handleWebhook({ "x-telegram-bot-api-secret-token": "nope" }, raw(u))).status).toBe(401);
    expect((await h.adapter.handleWebhook({ "x-telegram-bot-api-secret-token": `${SECRET}x` }, raw(u))).status).toBe(401);
    expect((await h.adapter.handleWebhook({}, raw(u))).status).toBe(401);
    expect(h.emitted).toHaveLength(0);
  });

  it("answers 400 with the reason to malformed bodies and processes nothing", async () => {
    h = await harness({ config: { mode: "webhook", webhook_url: URL_, webhook_secret: SECRET } });
    await h.start();
    const hdr = { "X-Telegram-Bot-Api-Secret-Token": SECRET };
    const a = await h.adapter.handleWebhook(hdr, raw({ update_id: "seven", message: {} }));
    expect(a.status).toBe(400);
    expect(a.body).toMatch(/update_id/);
    const b = await h.adapter.handleWebhook(hdr, raw({ update_id: 8, message: { message_id: 1, date: 1, chat: { type: "private" }, text: "hi" } }));
    expect(b.status).toBe(400);
    expect(b.body).toMatch(/message\.chat\.id/);
    const c = await h.adapter.handleWebhook(hdr, "{not json");
    expect(c.status).toBe(400);
    expect(h.emitted).toHaveLength(0);
  });

  it("answers 500 while the gateway cannot store the update, so Telegram delivers it again", async () => {
    h = await harness({ config: { mode: "webhook", webhook_url: URL_, webhook_secret: SECRET } });
    await h.start();
    let fail = true;
    h.onEmit = async (msg) => {
      if (fail) throw new Error("store is busy");
      h.emitted.push(msg);
    };
    const u = update(h);
    const hdr = { "x-telegram-bot-api-secret-token": SECRET };
    expect((await h.adapter.handleWebhook(hdr, raw(u))).status).toBe(500);
    fail = false;
    expect((await h.adapter.handleWebhook(hdr, raw(u))).status).toBe(200);
    expect(h.emitted).toHaveLength(1);
  });

  it("answers 503 before start and 404 when the channel polls instead", async () => {
    h = await harness({ config: { mode: "webhook", webhook_url: URL_, webhook_secret: SECRET } });
    expect((await h.adapter.handleWebhook({ "x-telegram-bot-api-secret-token": SECRET }, raw(update(h)))).status).toBe(503);
    const polling = createTelegramAdapter({ token: h.tg.token, api_base: h.tg.url, webhook_secret: SECRET }, { logger: silentLogger() });
    expect((await polling.handleWebhook({ "x-telegram-bot-api-secret-token": SECRET }, raw(update(h)))).status).toBe(404);
  });

  it("makes up a secret when none is configured and accepts only that one", async () => {
    h = await harness({ config: { mode: "webhook", webhook_url: URL_ } });
    await h.start();
    const secret = h.tg.webhook()?.secret_token;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{16,256}$/);
    expect((await h.adapter.handleWebhook({ "x-telegram-bot-api-secret-token": "guess" }, raw(update(h)))).status).toBe(401);
    expect((await h.adapter.handleWebhook({ "x-telegram-bot-api-secret-token": secret }, raw(update(h, "ok")))).status).toBe(200);
  });

  it("works behind the gateway's HTTP server route", async () => {
    h = await harness({ config: { mode: "webhook", webhook_url: URL_, webhook_secret: SECRET } });
    await h.start();
    http = await serveWebhooks([{ id: "telegram", path: "/webhook/telegram" }], () => h?.adapter);
    const post = (secret: string | undefined, body: string) =>
      fetch(`${http!.url}/webhook/telegram`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(secret ? { "X-Telegram-Bot-Api-Secret-Token": secret } : {}) },
        body,
      });
    const u = JSON.stringify(update(h, "through fastify"));
    expect((await post("wrong", u)).status).toBe(401);
    expect((await post(SECRET, '{"update_id":1,"message":{"message_id":"x"}}')).status).toBe(400);
    expect((await post(SECRET, u)).status).toBe(200);
    expect(h.emitted.map((m) => m.text)).toEqual(["through fastify"]);
  });

  it("refuses webhook mode without webhook_url, naming the key", async () => {
    h = await harness();
    expect(() => createTelegramAdapter({ token: h.tg.token, mode: "webhook" }, { logger: silentLogger() })).toThrow(/channels\.telegram\.webhook_url/);
  });
});
