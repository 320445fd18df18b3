// Outbound: send(), typing() and probe() through discord.js's REST client to
// the fake Discord, including how Discord's refusals reach the gateway.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChannelError } from "../../../src/core/channel.ts";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await h.start();
});
afterAll(async () => {
  await h.close();
});

async function caught(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection");
}

describe("Discord send", () => {
  it("posts the text as a reply that pings nobody and returns Discord's message id", async () => {
    const original = h.fake.guildMessage(`<@${h.fake.bot.id}> hi`);
    const { messageId } = await h.adapter.send(h.fake.guild.channelId, {
      text: "**Hello** @everyone, see <@123>",
      format: "markdown",
      replyTo: original.id,
    });
    const sent = h.fake.sent.at(-1)!;
    expect(messageId).toBe(sent.messageId);
    expect(sent.channelId).toBe(h.fake.guild.channelId);
    expect(sent.contentType).toBe("application/json");
    expect(sent.body).toEqual({
      content: "**Hello** @everyone, see <@123>",
      allowed_mentions: { parse: [], replied_user: false },
      message_reference: { message_id: original.id, fail_if_not_exists: false },
    });
  });

  it("still posts a reply whose original message is gone (fail_if_not_exists false)", async () => {
    const { messageId } = await h.adapter.send(h.fake.dmChannelId(), { text: "late answer", format: "plain", replyTo: "999999999999999999" });
    expect(h.fake.sent.at(-1)).toMatchObject({ messageId, body: { content: "late answer" } });
  });

  it("posts into a thread when the chunk names it", async () => {
    await h.adapter.send(h.fake.guild.channelId, { text: "in the thread", format: "markdown", threadId: h.fake.guild.threadId });
    expect(h.fake.sent.at(-1)!.channelId).toBe(h.fake.guild.threadId);
  });

  it("uploads media given as base64 as a file attachment next to the text", async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 9, 9, 9]);
    await h.adapter.send(h.fake.dmChannelId(), {
      text: "here is the chart",
      format: "markdown",
      media: { kind: "image", mimeType: "image/png", data: png.toString("base64") },
    });
    const sent = h.fake.sent.at(-1)!;
    expect(sent.contentType).toBe("multipart/form-data");
    expect(sent.body).toMatchObject({ content: "here is the chart", attachments: [{ id: 0, filename: "image.png" }] });
    expect(sent.files).toHaveLength(1);
    expect(sent.files[0]).toMatchObject({ field: "files[0]", name: "image.png", contentType: "image/png" });
    expect(Buffer.compare(sent.files[0]!.data, png)).toBe(0);
  });

  it("links media given only as a URL instead of downloading it", async () => {
    await h.adapter.send(h.fake.dmChannelId(), {
      text: "",
      format: "plain",
      media: { kind: "image", mimeType: "image/png", url: "https://example.com/a.png" },
    });
    expect(h.fake.sent.at(-1)!.body.content).toBe("https://example.com/a.png");
  });

  it("cuts text over 2000 characters instead of letting Discord refuse it", async () => {
    await h.adapter.send(h.fake.dmChannelId(), { text: "x".repeat(2500), format: "plain" });
    const content = h.fake.sent.at(-1)!.body.content!;
    expect(content).toHaveLength(2000);
    expect(content.endsWith("…")).toBe(true);
  });

  it("refuses an empty message as permanent without calling Discord", async () => {
    const before = h.fake.messageRequests;
    const err = await caught(h.adapter.send(h.fake.dmChannelId(), { text: "  ", format: "plain" }));
    expect(err).toMatchObject({ code: "permanent" });
    expect(h.fake.messageRequests).toBe(before);
  });

  it("turns a 429 into rate_limited with Discord's retry_after, without retrying by itself", async () => {
    const before = h.fake.messageRequests;
    h.fake.failNextMessage({ status: 429, retryAfter: 0.3 });
    const err = await caught(h.adapter.send(h.fake.dmChannelId(), { text: "too fast", format: "plain" }));
    expect(err).toMatchObject({ code: "rate_limited" });
    const ms = (err as ChannelError).retryAfterMs;
    expect(ms).toBeGreaterThanOrEqual(300);
    expect(ms).toBeLessThan(1_000);
    expect(err.message).toMatch(/rate limit/i);
    expect(h.fake.messageRequests).toBe(before + 1);
    // once the gateway has waited, the same message goes through
    await new Promise((r) => setTimeout(r, ms));
    const { messageId } = await h.adapter.send(h.fake.dmChannelId(), { text: "too fast", format: "plain" });
    expect(h.fake.sent.at(-1)).toMatchObject({ messageId, body: { content: "too fast" } });
  });

  it("turns 403 Missing Permissions into permanent with a hint", async () => {
    h.fake.failNextMessage({ status: 403 });
    const err = await caught(h.adapter.send(h.fake.guild.channelId, { text: "hi", format: "plain" }));
    expect(err).toMatchObject({ code: "permanent" });
    expect(err.message).toMatch(/HTTP 403, code 50013.*Send Messages/);
  });

  it("turns an unknown channel (404) into permanent", async () => {
    const err = await caught(h.adapter.send("123456789012345678", { text: "hi", format: "plain" }));
    expect(err).toMatchObject({ code: "permanent" });
    expect(err.message).toMatch(/123456789012345678.*HTTP 404, code 10003.*no longer exists/);
  });

  it("leaves a 5xx to the gateway's retries: one request, a plain error", async () => {
    const before = h.fake.messageRequests;
    h.fake.failNextMessage({ status: 502 });
    const err = await caught(h.adapter.send(h.fake.dmChannelId(), { text: "hi", format: "plain" }));
    expect(err).not.toMatchObject({ code: "permanent" });
    expect(err).not.toMatchObject({ code: "rate_limited" });
    expect(err.message).toMatch(/Discord could not post in channel .*502/);
    expect(h.fake.messageRequests).toBe(before + 1);
  });

  it("shows typing in the chat (or the thread)", async () => {
    await h.adapter.typing!(h.fake.dmChannelId());
    await h.adapter.typing!(h.fake.guild.channelId, h.fake.guild.threadId);
    expect(h.fake.typing.slice(-2)).toEqual([h.fake.dmChannelId(), h.fake.guild.threadId]);
  });

  it("probes with GET /users/@me", async () => {
    await h.adapter.probe!();
    expect(h.fake.requests.at(-1)).toEqual({ method: "GET", path: "/api/v10/users/@me" });
  });

  it("never sends with the token in anything it throws", async () => {
    h.fake.failNextMessage({ status: 400, code: 50035, message: "Invalid Form Body" });
    const err = await caught(h.adapter.send(h.fake.dmChannelId(), { text: "x", format: "plain" }));
    expect(err).toMatchObject({ code: "permanent" });
    expect(err.message).not.toContain(h.fake.token);
    expect(h.logs.join("")).not.toContain(h.fake.token);
  });
});
