import { afterEach, describe, expect, it } from "vitest";
import { ChannelError } from "../../../src/core/channel.ts";
import { harness, rejection, type Harness } from "./harness.ts";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe("telegram adapter: sending", () => {
  it("declares Telegram's capabilities", async () => {
    h = await harness();
    expect(h.adapter.id).toBe("telegram");
    expect(h.adapter.capabilities).toEqual({ maxTextLength: 4096, format: "html", typing: true, edit: true, voiceIn: true });
  });

  it("sends markdown as HTML with parse_mode and returns the message id", async () => {
    h = await harness();
    const r = await h.adapter.send("555", { text: "**bold** and `a<b`", format: "markdown" });
    const [sent] = h.tg.sent;
    expect(sent).toMatchObject({ method: "sendMessage", chat_id: 555, text: "<b>bold</b> and <code>a&lt;b</code>", parse_mode: "HTML" });
    expect(r.messageId).toBe(String(sent!.message_id));
  });

  it("sends plain chunks without parse_mode, markup characters untouched", async () => {
    h = await harness();
    await h.adapter.send("555", { text: "a <b> c", format: "plain" });
    expect(h.tg.sent[0]).toMatchObject({ text: "a <b> c" });
    expect(h.tg.sent[0]!.parse_mode).toBeUndefined();
  });

  it("retries once as plain text when Telegram cannot parse the HTML", async () => {
    h = await harness();
    h.tg.failNext("sendMessage", { error_code: 400, description: "Bad Request: can't parse entities: Unsupported start tag \"x\" at byte offset 3" });
    const r = await h.adapter.send("555", { text: "**hi** there", format: "markdown" });
    const sendCalls = h.tg.calls.filter((c) => c.method === "sendMessage");
    expect(sendCalls).toHaveLength(2);
    expect(sendCalls[0]!.params.parse_mode).toBe("HTML");
    expect(h.tg.sent).toHaveLength(1);
    expect(h.tg.sent[0]).toMatchObject({ text: "**hi** there" });
    expect(h.tg.sent[0]!.parse_mode).toBeUndefined();
    expect(r.messageId).toBe(String(h.tg.sent[0]!.message_id));
  });

  it("does not retry a second time when the plain text is refused too", async () => {
    h = await harness();
    h.tg.failNext("sendMessage", { error_code: 400, description: "Bad Request: can't parse entities: oops" });
    h.tg.failNext("sendMessage", { error_code: 400, description: "Bad Request: chat not found" });
    await expect(h.adapter.send("9", { text: "*x*", format: "markdown" })).rejects.toMatchObject({ code: "permanent" });
    expect(h.tg.calls.filter((c) => c.method === "sendMessage")).toHaveLength(2);
  });

  it("replies to a message and posts into the chunk's forum topic", async () => {
    h = await harness();
    await h.adapter.send("-100500", { text: "answer", format: "markdown", replyTo: "77", threadId: "42" });
    expect(h.tg.sent[0]).toMatchObject({
      chat_id: -100500,
      message_thread_id: 42,
      reply_parameters: { message_id: 77, allow_sending_without_reply: true },
    });
  });

  it("leaves out reply and thread ids that are not Telegram ids instead of sending NaN", async () => {
    h = await harness();
    await h.adapter.send("555", { text: "x", format: "plain", replyTo: "cron:job-1", threadId: "general" });
    expect(h.tg.sent[0]!.reply_parameters).toBeUndefined();
    expect(h.tg.sent[0]!.message_thread_id).toBeUndefined();
  });

  it("turns 429 into rate_limited with retry_after in ms", async () => {
    h = await harness();
    h.tg.failNext("sendMessage", { error_code: 429, description: "Too Many Requests: retry after 7", parameters: { retry_after: 7 } });
    const err = await rejection(h.adapter.send("555", { text: "x", format: "plain" }));
    expect(err).toMatchObject({ code: "rate_limited" });
    expect((err as ChannelError).retryAfterMs).toBe(7000);
  });

  it("turns a blocked bot (403) and an unknown chat (400) into permanent", async () => {
    h = await harness();
    h.tg.failNext("sendMessage", { error_code: 403, description: "Forbidden: bot was blocked by the user" });
    await expect(h.adapter.send("555", { text: "x", format: "plain" })).rejects.toMatchObject({ code: "permanent" });
    h.tg.failNext("sendMessage", { error_code: 400, description: "Bad Request: chat not found" });
    await expect(h.adapter.send("556", { text: "x", format: "plain" })).rejects.toThrow(/chat not found/);
  });

  it("names the new chat id when a group became a supergroup", async () => {
    h = await harness();
    h.tg.failNext("sendMessage", { error_code: 400, description: "Bad Request: group chat was upgraded to a supergroup chat", parameters: { migrate_to_chat_id: -1009999 } });
    await expect(h.adapter.send("-5", { text: "x", format: "plain" })).rejects.toThrow(/-1009999/);
  });

  it("throws a plain, retryable Error for server errors and dropped connections, without the token", async () => {
    h = await harness();
    h.tg.failNext("sendMessage", { error_code: 500, description: "Internal Server Error" });
    const a = await rejection(h.adapter.send("555", { text: "x", format: "plain" }));
    expect(a).toBeInstanceOf(Error);
    expect(a).not.toMatchObject({ code: "permanent" });
    expect(a).not.toMatchObject({ code: "rate_limited" });
    h.tg.failNext("sendMessage", "disconnect");
    const b = await rejection(h.adapter.send("555", { text: "x", format: "plain" }));
    expect(b).toBeInstanceOf(Error);
    expect(b).not.toMatchObject({ code: "permanent" });
    expect(b.message).toMatch(/network error calling Telegram sendMessage/);
    for (const e of [a, b]) expect(e.message).not.toContain(h.tg.token);
  });

  it("uploads a base64 image with sendPhoto and the text as HTML caption", async () => {
    h = await harness();
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 9, 9, 9]);
    const r = await h.adapter.send("555", { text: "a **chart**", format: "markdown", replyTo: "3", media: { kind: "image", mimeType: "image/png", data: png.toString("base64"), filename: "chart.png" } });
    const [sent] = h.tg.sent;
    expect(sent).toMatchObject({ method: "sendPhoto", caption: "a <b>chart</b>", parse_mode: "HTML", reply_parameters: { message_id: 3, allow_sending_without_reply: true } });
    expect(sent!.file).toMatchObject({ filename: "chart.png", data: png });
    expect(r.messageId).toBe(String(sent!.message_id));
  });

  it("passes an image URL through, sends OGG audio as a voice note and other files as documents", async () => {
    h = await harness();
    await h.adapter.send("555", { text: "", format: "plain", media: { kind: "image", mimeType: "image/jpeg", url: "https://example.com/a.jpg" } });
    await h.adapter.send("555", { text: "listen", format: "plain", media: { kind: "audio", mimeType: "audio/ogg", data: Buffer.from("OggS").toString("base64") } });
    await h.adapter.send("555", { text: "song", format: "plain", media: { kind: "audio", mimeType: "audio/mpeg", data: Buffer.from("ID3").toString("base64") } });
    await h.adapter.send("555", { text: "report", format: "plain", media: { kind: "file", mimeType: "application/pdf", data: Buffer.from("%PDF").toString("base64"), filename: "r.pdf" } });
    expect(h.tg.sent.map((s) => s.method)).toEqual(["sendPhoto", "sendVoice", "sendAudio", "sendDocument"]);
    expect(h.tg.sent[0]!.file).toBe("https://example.com/a.jpg");
    expect(h.tg.sent[0]!.caption).toBeUndefined();
    expect(h.tg.sent[3]!.file).toMatchObject({ filename: "r.pdf", data: Buffer.from("%PDF") });
  });

  it("sends text too long for a caption as its own message after the media", async () => {
    h = await harness();
    const long = "word ".repeat(300).trim();
    await h.adapter.send("555", { text: long, format: "markdown", media: { kind: "image", mimeType: "image/png", url: "https://example.com/p.png" } });
    expect(h.tg.sent.map((s) => s.method)).toEqual(["sendPhoto", "sendMessage"]);
    expect(h.tg.sent[1]!.text).toBe(long);
  });

  it("shows typing in the chat and topic", async () => {
    h = await harness();
    await h.adapter.typing!("-100500", "42");
    await h.adapter.typing!("555");
    expect(h.tg.actions).toEqual([
      { token: h.tg.token, chat_id: -100500, action: "typing", message_thread_id: 42 },
      { token: h.tg.token, chat_id: 555, action: "typing" },
    ]);
  });
});
