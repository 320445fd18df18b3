// The fake Bot API must behave like Telegram where the adapter depends on it.
import { afterEach, describe, expect, it } from "vitest";
import { FakeTelegramApi, parseTelegramHtml } from "../../fakes/telegram-api.ts";
import { until } from "./harness.ts";

let tg: FakeTelegramApi;
afterEach(async () => {
  await tg?.close();
});

async function call(method: string, body?: Record<string, unknown>, token = tg.token): Promise<{ status: number; json: Record<string, unknown> & { result?: unknown } }> {
  const res = await fetch(`${tg.url}/bot${token}/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body ?? {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe("fake Telegram Bot API", () => {
  it("answers a wrong token with 401 Unauthorized in Telegram's error shape", async () => {
    tg = await FakeTelegramApi.start();
    const r = await call("getMe", {}, "1:nope");
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ ok: false, error_code: 401, description: "Unauthorized" });
  });

  it("serves several bots, each with its own identity", async () => {
    tg = await FakeTelegramApi.start({ bots: [{ token: "11:aa", username: "one_bot" }, { token: "22:bb", username: "two_bot" }] });
    expect((await call("getMe", {}, "11:aa")).json.result).toMatchObject({ id: 11, is_bot: true, username: "one_bot" });
    expect((await call("getMe", {}, "22:bb")).json.result).toMatchObject({ id: 22, username: "two_bot" });
  });

  it("holds getUpdates until an update is queued", async () => {
    tg = await FakeTelegramApi.start();
    const pending = call("getUpdates", { timeout: 10 });
    await until(() => (tg.heldPolls() ? true : undefined), 2000, "held poll");
    const u = tg.userMessage({ text: "wake up" });
    const r = await pending;
    expect(r.json.result).toEqual([u]);
  });

  it("returns an empty list when the timeout passes", async () => {
    tg = await FakeTelegramApi.start();
    const r = await call("getUpdates", { timeout: 0.1 });
    expect(r.json).toEqual({ ok: true, result: [] });
  });

  it("confirms updates below the offset and forgets all but the last -offset ones", async () => {
    tg = await FakeTelegramApi.start();
    const a = tg.userMessage({ text: "a" });
    const b = tg.userMessage({ text: "b" });
    const c = tg.userMessage({ text: "c" });
    expect((await call("getUpdates")).json.result).toEqual([a, b, c]);
    expect((await call("getUpdates")).json.result).toEqual([a, b, c]); // nothing confirmed yet
    expect((await call("getUpdates", { offset: b.update_id })).json.result).toEqual([b, c]);
    expect((await call("getUpdates", { offset: -1 })).json.result).toEqual([c]);
    expect((await call("getUpdates", { offset: c.update_id + 1 })).json.result).toEqual([]);
    expect(tg.pending()).toEqual([]);
  });

  it("filters by allowed_updates and skips member updates by default", async () => {
    tg = await FakeTelegramApi.start();
    tg.pushUpdate({ chat_member: { chat: { id: 1 } } });
    const e = tg.userMessage({ text: "edit", kind: "edited_message" });
    const m = tg.userMessage({ text: "msg" });
    expect((await call("getUpdates")).json.result).toEqual([e, m]);
    expect((await call("getUpdates", { allowed_updates: ["message"] })).json.result).toEqual([m]);
  });

  it("gives 409 to getUpdates while a webhook is set, and to a poll another poll replaced", async () => {
    tg = await FakeTelegramApi.start();
    const first = call("getUpdates", { timeout: 10 });
    await until(() => (tg.heldPolls() ? true : undefined), 2000, "held poll");
    const second = call("getUpdates", { timeout: 0 });
    const r1 = await first;
    expect(r1.status).toBe(409);
    expect(r1.json.description).toMatch(/terminated by other getUpdates request/);
    expect((await second).status).toBe(200);

    expect((await call("setWebhook", { url: "http://insecure.test" })).json.description).toMatch(/HTTPS URL must be provided/);
    expect((await call("setWebhook", { url: "https://a.test/hook", secret_token: "abc_1" })).json.result).toBe(true);
    expect(tg.webhook()).toEqual({ url: "https://a.test/hook", secret_token: "abc_1" });
    expect((await call("getWebhookInfo")).json.result).toMatchObject({ url: "https://a.test/hook" });
    const blocked = await call("getUpdates");
    expect(blocked.status).toBe(409);
    expect(blocked.json.description).toMatch(/webhook is active/);
    await call("deleteWebhook");
    expect((await call("getUpdates")).status).toBe(200);
  });

  it("rejects broken HTML and overlong text the way Telegram does", async () => {
    tg = await FakeTelegramApi.start();
    const unbalanced = await call("sendMessage", { chat_id: 1, text: "<b>bold", parse_mode: "HTML" });
    expect(unbalanced.status).toBe(400);
    expect(unbalanced.json.description).toMatch(/^Bad Request: can't parse entities: Can't find end tag corresponding to start tag "b"/);
    const unknown = await call("sendMessage", { chat_id: 1, text: "<div>x</div>", parse_mode: "HTML" });
    expect(unknown.json.description).toMatch(/^Bad Request: can't parse entities: Unsupported start tag "div"/);
    expect((await call("sendMessage", { chat_id: 1, text: "a".repeat(4097) })).json.description).toBe("Bad Request: message is too long");
    expect((await call("sendMessage", { chat_id: 1, text: "" })).json.description).toBe("Bad Request: message text is empty");
    expect((await call("sendMessage", { text: "x" })).json.description).toBe("Bad Request: chat_id is empty");
    // markup and entities do not count toward the limit
    expect((await call("sendMessage", { chat_id: 1, text: `<b>${"&amp;".repeat(4096)}</b>`, parse_mode: "HTML" })).status).toBe(200);
    expect(parseTelegramHtml('<a href="https://x">l</a> &lt;3 <pre><code class="language-ts">x</code></pre>')).toBe("l _3 x");
    expect(tg.sent).toHaveLength(1);
  });

  it("takes query parameters and form bodies, records sends and returns increasing message ids", async () => {
    tg = await FakeTelegramApi.start();
    const q = await fetch(`${tg.url}/bot${tg.token}/sendMessage?chat_id=-100&text=hi&message_thread_id=5`);
    const f = await fetch(`${tg.url}/bot${tg.token}/sendMessage`, {
      method: "POST",
      body: new URLSearchParams({ chat_id: "7", text: "yo", reply_parameters: JSON.stringify({ message_id: 3 }) }),
    });
    const a = ((await q.json()) as { result: { message_id: number; message_thread_id?: number } }).result;
    const b = ((await f.json()) as { result: { message_id: number } }).result;
    expect(b.message_id).toBeGreaterThan(a.message_id);
    expect(a.message_thread_id).toBe(5);
    expect(tg.sent).toEqual([
      { token: tg.token, method: "sendMessage", chat_id: -100, message_id: a.message_id, text: "hi", message_thread_id: 5 },
      { token: tg.token, method: "sendMessage", chat_id: 7, message_id: b.message_id, text: "yo", reply_parameters: { message_id: 3 } },
    ]);
  });

  it("accepts multipart photo uploads and serves registered files", async () => {
    tg = await FakeTelegramApi.start();
    const form = new FormData();
    form.set("chat_id", "9");
    form.set("caption", "<i>pic</i>");
    form.set("parse_mode", "HTML");
    form.set("photo", new Blob([Buffer.from("PNGDATA")]), "p.png");
    const r = await fetch(`${tg.url}/bot${tg.token}/sendPhoto`, { method: "POST", body: form });
    expect(r.status).toBe(200);
    expect(tg.sent[0]).toMatchObject({ method: "sendPhoto", chat_id: 9, caption: "<i>pic</i>", parse_mode: "HTML", file: { filename: "p.png", data: Buffer.from("PNGDATA") } });
    expect((await call("sendPhoto", { chat_id: 9 })).json.description).toBe("Bad Request: there is no photo in the request");

    const file = tg.addFile(Buffer.from("bytes!"), { dir: "voice", ext: "oga" });
    const info = (await call("getFile", { file_id: file.file_id })).json.result as { file_path: string };
    const dl = await fetch(`${tg.url}/file/bot${tg.token}/${info.file_path}`);
    expect(Buffer.from(await dl.arrayBuffer())).toEqual(Buffer.from("bytes!"));
    expect((await fetch(`${tg.url}/file/bot1:x/${info.file_path}`)).status).toBe(401);
    expect((await call("getFile", { file_id: "nope" })).json.description).toMatch(/wrong file_id/);
  });

  it("plays scripted failures once, with HTTP status = error_code and parameters", async () => {
    tg = await FakeTelegramApi.start();
    tg.failNext("sendMessage", { error_code: 429, description: "Too Many Requests: retry after 3", parameters: { retry_after: 3 } });
    const r = await call("sendMessage", { chat_id: 1, text: "x" });
    expect(r.status).toBe(429);
    expect(r.json).toEqual({ ok: false, error_code: 429, description: "Too Many Requests: retry after 3", parameters: { retry_after: 3 } });
    expect((await call("sendMessage", { chat_id: 1, text: "x" })).status).toBe(200);
  });

  it("close() ends held long polls", async () => {
    tg = await FakeTelegramApi.start();
    const held = call("getUpdates", { timeout: 30 });
    await until(() => (tg.heldPolls() ? true : undefined), 2000, "held poll");
    await tg.close();
    expect((await held).json).toEqual({ ok: true, result: [] });
  });
});
