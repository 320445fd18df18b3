// Native mode, outbound (fake socket injected): what send() hands
// sendMessage for text and media, the message id it returns, typing, and how
// failures are classified for the outbox.
import { afterEach, describe, expect, it } from "vitest";
import { NATIVE_CAPABILITIES } from "../../../channels/whatsapp/adapter.ts";
import { ChannelError } from "../../../src/core/channel.ts";
import { boom, type FakeWaSocket } from "../../fakes/whatsapp/socket.ts";
import { nativeHarness, type NativeHarness } from "./harness.ts";

let h: NativeHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function online(): Promise<FakeWaSocket> {
  h = nativeHarness();
  await h.start();
  const sock = await h.sockets.waitForSocket(1);
  sock.open();
  await h.waitForStatus("online");
  return sock;
}

const ALICE = "4915112345678@s.whatsapp.net";
const GROUP = "120363025246125486@g.us";

describe("WhatsApp native: send", () => {
  it("sends text with sendMessage and returns the message key id", async () => {
    const sock = await online();
    const a = await h!.adapter.send(ALICE, { text: "hello", format: "plain" });
    const b = await h!.adapter.send(GROUP, { text: "**hi** all", format: "markdown" });
    expect(sock.sent).toEqual([
      { jid: ALICE, content: { text: "hello" } },
      { jid: GROUP, content: { text: "*hi* all" } },
    ]);
    expect(a).toEqual({ messageId: "3EB0FAKE1" });
    expect(b).toEqual({ messageId: "3EB0FAKE2" });
  });

  it("sends to a phone number at its JID", async () => {
    const sock = await online();
    await h!.adapter.send("+49 151 12345678", { text: "by number", format: "plain" });
    expect(sock.sent[0]!.jid).toBe(ALICE);
  });

  it("sends an image with its caption, and a voice note after its text", async () => {
    const sock = await online();
    const png = Buffer.from("PNGBYTES");
    await h!.adapter.send(ALICE, { text: "the chart", format: "plain", media: { kind: "image", mimeType: "image/png", data: png.toString("base64") } });
    const voice = await h!.adapter.send(ALICE, { text: "listen:", format: "plain", media: { kind: "audio", mimeType: "audio/ogg; codecs=opus", data: Buffer.from("OggS").toString("base64") } });
    await h!.adapter.send(ALICE, { text: "", format: "plain", media: { kind: "file", mimeType: "application/pdf", url: "https://files.test/r.pdf", filename: "r.pdf" } });
    expect(sock.sent).toEqual([
      { jid: ALICE, content: { image: png, mimetype: "image/png", caption: "the chart" } },
      { jid: ALICE, content: { text: "listen:" } },
      { jid: ALICE, content: { audio: Buffer.from("OggS"), mimetype: "audio/ogg; codecs=opus", ptt: true } },
      { jid: ALICE, content: { document: { url: "https://files.test/r.pdf" }, mimetype: "application/pdf", fileName: "r.pdf" } },
    ]);
    expect(voice.messageId).toBe("3EB0FAKE3"); // the audio's id, not the text's
  });

  it("cuts text over 4096 characters", async () => {
    const sock = await online();
    await h!.adapter.send(ALICE, { text: "y".repeat(4100), format: "plain" });
    expect((sock.sent[0]!.content.text as string).length).toBe(NATIVE_CAPABILITIES.maxTextLength);
  });

  it("classifies failures: 429 waits, 403 and bad chats are permanent, a closed connection is retried", async () => {
    const sock = await online();
    sock.failNext = boom(429, "rate-overlimit");
    const limited = await h!.adapter.send(ALICE, { text: "x", format: "plain" }).catch((e: Error) => e);
    expect(limited).toMatchObject({ code: "rate_limited" });
    expect((limited as ChannelError).retryAfterMs).toBe(30_000);
    sock.failNext = boom(403, "not-authorized");
    const refused = await h!.adapter.send(GROUP, { text: "x", format: "plain" }).catch((e: Error) => e);
    expect(refused).toMatchObject({ code: "permanent" });
    expect((refused as Error).message).toMatch(/refused the message to 120363025246125486@g.us: not-authorized \(403\).*left the group/);
    sock.failNext = boom(428, "Connection Closed");
    const closed = await h!.adapter.send(ALICE, { text: "x", format: "plain" }).catch((e: Error) => e);
    expect(closed).toBeInstanceOf(Error);
    expect(closed).not.toMatchObject({ code: "permanent" });
    expect((closed as Error).message).toMatch(/will be retried/);
    await expect(h!.adapter.send("hello", { text: "x", format: "plain" })).rejects.toMatchObject({ code: "permanent" });
    await expect(h!.adapter.send(ALICE, { text: " ", format: "plain" })).rejects.toMatchObject({ code: "permanent" });
    expect(sock.sent).toEqual([]);
  });

  it("refuses to send while not connected, with a retryable error", async () => {
    h = nativeHarness();
    await h.start();
    await h.sockets.waitForSocket(1); // made, but not open yet
    const err = await h.adapter.send(ALICE, { text: "x", format: "plain" }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toMatchObject({ code: "permanent" });
    expect((err as Error).message).toMatch(/WhatsApp is not connected; cannot send a message now, it will be retried/);
  });
});

describe("WhatsApp native: typing", () => {
  it("shows composing in the chat", async () => {
    const sock = await online();
    expect(h!.adapter.capabilities.typing).toBe(true);
    await h!.adapter.typing!(ALICE);
    await h!.adapter.typing!(GROUP);
    expect(sock.presence).toEqual([
      { type: "composing", jid: ALICE },
      { type: "composing", jid: GROUP },
    ]);
  });

  it("probe() passes while connected and fails once the connection is gone", async () => {
    const sock = await online();
    await expect(h!.adapter.probe!()).resolves.toBeUndefined();
    sock.close(428);
    await h!.waitForStatus("reconnecting");
    await expect(h!.adapter.probe!()).rejects.toThrow(/not connected \(WhatsApp connection closed: Connection Closed\)/);
  });
});
