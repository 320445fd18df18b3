// Sending: passive replies (msg_id + msg_seq), picking the message to
// answer, error mapping, no double posts on retries, media, and reply state
// that survives a restart.
import { afterEach, describe, expect, it } from "vitest";
import { ChannelError } from "../../../src/core/channel.ts";
import { ManualClock } from "../../../src/core/clock.ts";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function started(...args: Parameters<typeof startHarness>): Promise<Harness> {
  h = await startHarness(...args);
  await h.start();
  return h;
}

async function inbound(n: number): Promise<void> {
  await h!.waitForMessages(n);
}

const plain = (text: string) => ({ text, format: "plain" as const });

describe("QQ passive replies", () => {
  it("answers a direct message with msg_id and msg_seq 1, 2, 3 across the chunks of a reply", async () => {
    const { fake, adapter } = await started();
    const id = fake.c2cMessage({ openid: "U1", text: "hi" });
    await inbound(1);
    const results = [];
    for (const part of ["part one", "part two", "part three"]) results.push(await adapter.send("U1", plain(part)));
    expect(fake.sent.map((s) => ({ kind: s.kind, target: s.target, content: s.content, msgType: s.msgType, msgId: s.msgId, msgSeq: s.msgSeq }))).toEqual([
      { kind: "user", target: "U1", content: "part one", msgType: 0, msgId: id, msgSeq: 1 },
      { kind: "user", target: "U1", content: "part two", msgType: 0, msgId: id, msgSeq: 2 },
      { kind: "user", target: "U1", content: "part three", msgType: 0, msgId: id, msgSeq: 3 },
    ]);
    expect(results.map((r) => r.messageId)).toEqual(fake.sent.map((s) => s.id));
  });

  it("answers a group message on the group's URL, continuing the seq when only the first chunk names replyTo", async () => {
    const { fake, adapter } = await started();
    const id = fake.groupAtMessage({ groupOpenid: "G1", memberOpenid: "M1", text: "hi all" });
    await inbound(1);
    await adapter.send("G1", { ...plain("first"), replyTo: id });
    await adapter.send("G1", plain("second"));
    expect(fake.sent.map((s) => [s.kind, s.target, s.msgId, s.msgSeq])).toEqual([
      ["group", "G1", id, 1],
      ["group", "G1", id, 2],
    ]);
  });

  it("answers the latest message of a direct chat when the reply names none", async () => {
    const { fake, adapter } = await started();
    fake.c2cMessage({ openid: "U1", text: "older" });
    const newest = fake.c2cMessage({ openid: "U1", text: "newer" });
    fake.c2cMessage({ openid: "U2", text: "someone else" });
    await inbound(3);
    await adapter.send("U1", plain("answer"));
    expect(fake.sent[0]).toMatchObject({ target: "U1", msgId: newest, msgSeq: 1 });
  });

  it("moves on to an earlier message once QQ's 5 replies per message are used, instead of failing", async () => {
    const { fake, adapter } = await started({ replyLimit: 5 });
    const first = fake.c2cMessage({ openid: "U1", text: "question" });
    const second = fake.c2cMessage({ openid: "U1", text: "and another thing" });
    await inbound(2);
    for (let i = 1; i <= 7; i++) await adapter.send("U1", plain(`part ${i}`));
    expect(fake.sent.map((s) => [s.msgId, s.msgSeq])).toEqual([
      [second, 1],
      [second, 2],
      [second, 3],
      [second, 4],
      [second, 5],
      [first, 1],
      [first, 2],
    ]);
  });

  it("skips a message whose reply window has passed", async () => {
    const clock = new ManualClock();
    const { fake, adapter } = await started({}, { clock });
    const old = fake.groupAtMessage({ groupOpenid: "G1", memberOpenid: "M1", text: "old" });
    await inbound(1);
    clock.advance(2 * 60_000);
    const fresh = fake.groupAtMessage({ groupOpenid: "G1", memberOpenid: "M2", text: "fresh" });
    await inbound(2);
    clock.advance(4 * 60_000); // "old" is now 6 min old (groups: 5 min), "fresh" 4 min
    await adapter.send("G1", plain("reply"));
    expect(fake.sent[0]!.msgId).toBe(fresh);
    expect(old).not.toBe(fresh);
  });

  it("refuses a chat with nothing to answer with a permanent error that says why", async () => {
    const { fake, adapter } = await started();
    const err = await adapter.send("NEVER-SEEN", plain("hello?")).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "permanent" });
    expect((err as Error).message).toMatch(/no received message to answer.*proactive messages/);
    expect(fake.messageRequests).toBe(0);
  });

  it("flattens Markdown into plain text", async () => {
    const { fake, adapter } = await started();
    fake.c2cMessage({ openid: "U1", text: "hi" });
    await inbound(1);
    await adapter.send("U1", { text: "## Title\n\n**bold** and *it* and `code`, see [docs](https://example.com)\n```js\nlet x = 1;\n```", format: "markdown" });
    expect(fake.sent[0]!.content).toBe("Title\n\nbold and it and code, see docs (https://example.com)\nlet x = 1;");
  });

  it("writes links out when QQ refuses an unregistered URL, and sends once more", async () => {
    const { fake, adapter, logs } = await started({ refuseUrls: true });
    fake.c2cMessage({ openid: "U1", text: "link?" });
    await inbound(1);
    await adapter.send("U1", plain("see https://example.com/page for more"));
    expect(fake.sent.map((s) => [s.content, s.msgSeq])).toEqual([["see example[.]com/page for more", 2]]);
    expect(logs.join("\n")).toMatch(/links written out/);
  });
});

describe("QQ send failures", () => {
  it("maps 429 to rate_limited with QQ's Retry-After, and a retry then goes out once", async () => {
    const { fake, adapter } = await started();
    fake.c2cMessage({ openid: "U1", text: "hi" });
    await inbound(1);
    fake.failNextSend({ status: 429, code: 22009, message: "msg limit exceed", retryAfter: 3 });
    const err = await adapter.send("U1", plain("hello")).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "rate_limited" });
    expect((err as ChannelError).retryAfterMs).toBe(3_000);
    expect((err as Error).message).toMatch(/rate limit.*msg limit exceed/);
    await adapter.send("U1", plain("hello"));
    expect(fake.sent.map((s) => s.content)).toEqual(["hello"]);
  });

  it("maps QQ's rate-limit code (22009) to rate_limited even without HTTP 429", async () => {
    const { fake, adapter } = await started();
    fake.c2cMessage({ openid: "U1", text: "hi" });
    await inbound(1);
    fake.failNextSend({ status: 400, code: 22009, message: "msg limit exceed" });
    const err = await adapter.send("U1", plain("x")).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "rate_limited" });
    expect((err as ChannelError).retryAfterMs).toBeGreaterThan(0);
  });

  it("maps refusals to permanent with a hint", async () => {
    const { fake, adapter } = await started();
    fake.groupAtMessage({ groupOpenid: "G1", memberOpenid: "M1", text: "hi" });
    await inbound(1);
    fake.failNextSend({ status: 400, code: 40054003, message: "not group member" });
    const notMember = await adapter.send("G1", plain("x")).catch((e: unknown) => e);
    expect(notMember).toMatchObject({ code: "permanent" });
    expect((notMember as Error).message).toMatch(/not group member.*code 40054003.*not a member of that group/);
    fake.failNextSend({ status: 400, code: 304027, message: "msg expire" });
    const late = await adapter.send("G1", plain("y")).catch((e: unknown) => e);
    expect(late).toMatchObject({ code: "permanent" });
    expect((late as Error).message).toMatch(/5 min in groups/);
    fake.failNextSend({ status: 403, code: 11253, message: "no permission" });
    await expect(adapter.send("G1", plain("z"))).rejects.toMatchObject({ code: "permanent" });
  });

  it("leaves 5xx retryable (a plain Error) and reuses the seq for the retry", async () => {
    const { fake, adapter } = await started();
    fake.c2cMessage({ openid: "U1", text: "hi" });
    await inbound(1);
    fake.failNextSend({ status: 500, code: 0, message: "internal" });
    const err = await adapter.send("U1", plain("again")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toMatchObject({ code: "permanent" });
    expect(err).not.toMatchObject({ code: "rate_limited" });
    await adapter.send("U1", plain("again"));
    expect(fake.sent.map((s) => [s.content, s.msgSeq])).toEqual([["again", 1]]);
  });

  it("does not post twice when a send arrived but its answer was lost", async () => {
    const { fake, adapter, logs } = await started();
    fake.c2cMessage({ openid: "U1", text: "hi" });
    await inbound(1);
    fake.failNextSend({ status: 200, afterDelivery: true });
    await expect(adapter.send("U1", plain("only once"))).rejects.toThrow(/QQ could not send a message/);
    const retried = await adapter.send("U1", plain("only once"));
    expect(retried.messageId).toBeTruthy();
    await adapter.send("U1", plain("next"));
    expect(fake.sent.map((s) => [s.content, s.msgSeq])).toEqual([
      ["only once", 1],
      ["next", 2],
    ]);
    expect(logs.join("\n")).toMatch(/already has this reply/);
  });

  it("fails retryably while QQ is unreachable", async () => {
    const { fake, adapter } = await started();
    fake.c2cMessage({ openid: "U1", text: "hi" });
    await inbound(1);
    await fake.close();
    const err = await adapter.send("U1", plain("x")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toMatchObject({ code: "permanent" });
    expect((err as Error).message).toMatch(/QQ could not send a message to QQ user U1/);
  });
});

describe("QQ reply state and media", () => {
  it("still answers a message received before a restart, continuing its seq", async () => {
    const { fake, adapter } = await started();
    const id = fake.c2cMessage({ openid: "U1", text: "before restart" });
    await inbound(1);
    await adapter.send("U1", plain("one"));
    const next = await h!.restart();
    await next.send("U1", plain("two"));
    expect(fake.sent.map((s) => [s.msgId, s.msgSeq])).toEqual([
      [id, 1],
      [id, 2],
    ]);
  });

  it("sends an image through QQ's media upload as msg_type 7", async () => {
    const { fake, adapter } = await started();
    fake.c2cMessage({ openid: "U1", text: "draw a cat" });
    await inbound(1);
    await adapter.send("U1", { text: "", format: "plain", media: { kind: "image", mimeType: "image/png", url: "https://img.example/cat.png" } });
    expect(fake.uploads).toEqual([expect.objectContaining({ kind: "user", target: "U1", fileType: 1, url: "https://img.example/cat.png" })]);
    expect(fake.sent[0]).toMatchObject({ msgType: 7, media: { file_info: fake.uploads[0]!.fileInfo }, msgSeq: 1 });
    await adapter.send("U1", { text: "", format: "plain", media: { kind: "image", mimeType: "image/png", data: Buffer.from("png").toString("base64") } });
    expect(fake.uploads[1]).toMatchObject({ fileType: 1, fileData: Buffer.from("png").toString("base64") });
  });

  it("links media QQ cannot carry, and says so in the chat when there is no link", async () => {
    const { fake, adapter } = await started();
    fake.c2cMessage({ openid: "U1", text: "hi" });
    await inbound(1);
    await adapter.send("U1", { text: "here", format: "plain", media: { kind: "file", mimeType: "application/pdf", url: "https://files.example/a.pdf" } });
    expect(fake.sent[0]).toMatchObject({ msgType: 0, content: "here\nhttps://files.example/a.pdf" });
    await adapter.send("U1", { text: "", format: "plain", media: { kind: "audio", mimeType: "audio/mpeg", data: "AAAA" } });
    expect(fake.sent[1]).toMatchObject({ msgType: 0, content: "📎 audio.mp3 (3 bytes) was not sent: QQ plays voice only in SILK or AMR format." });
    expect(fake.uploads).toEqual([]);
  });
});
