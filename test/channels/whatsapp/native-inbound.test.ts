// Native mode, inbound: baileys messages (from the injected fake socket)
// become the gateway's InboundMessage, with lazy media through the injected
// download function; the bot's own messages, broadcasts and history are
// ignored.
import { afterEach, describe, expect, it } from "vitest";
import { AllowList } from "../../../src/gateway/access.ts";
import { BOT, waMessage, type FakeWaSocket } from "../../fakes/whatsapp/socket.ts";
import { nativeHarness, pause, type NativeHarness } from "./harness.ts";

let h: NativeHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function online(...args: Parameters<typeof nativeHarness>): Promise<FakeWaSocket> {
  h = nativeHarness(...args);
  await h.start();
  const sock = await h.sockets.waitForSocket(1);
  sock.open();
  await h.waitForStatus("online");
  return sock;
}

const ALICE = "4915112345678@s.whatsapp.net";
const GROUP = "120363025246125486@g.us";

describe("WhatsApp native: text messages", () => {
  it("normalizes a direct text message (conversation)", async () => {
    const sock = await online();
    sock.upsert([waMessage({ from: ALICE, id: "3EB0A1", pushName: "Alice", message: { conversation: "hello bot" } })]);
    const [msg] = await h!.waitForMessages(1);
    expect(msg).toEqual({
      channel: "whatsapp",
      accountId: "4917000000001@s.whatsapp.net",
      chatId: ALICE,
      chatType: "direct",
      messageId: "3EB0A1",
      senderId: ALICE,
      senderName: "Alice",
      text: "hello bot",
      sentAt: 1_767_225_600_000,
    });
    expect(msg!.senderUsername).toBeUndefined();
    expect(new AllowList(["+4915112345678"]).allows(msg!)).toBe(true);
  });

  it("reads extendedTextMessage and group messages: sender is the participant, mention of the bot detected and removed", async () => {
    const sock = await online();
    sock.upsert([
      waMessage({ from: ALICE, message: { extendedTextMessage: { text: "a link https://x.test" } } }),
      waMessage({
        from: "4915112345678:12@s.whatsapp.net",
        chat: GROUP,
        message: { extendedTextMessage: { text: "@4917000000001 what's up?", contextInfo: { mentionedJid: ["4917000000001@s.whatsapp.net"] } } },
      }),
      waMessage({ from: ALICE, chat: GROUP, message: { extendedTextMessage: { text: "@4915199999999 hi", contextInfo: { mentionedJid: ["4915199999999@s.whatsapp.net"] } } } }),
      waMessage({ from: ALICE, chat: GROUP, message: { conversation: "plain group talk" } }),
    ]);
    const [dm, mention, other, plain] = await h!.waitForMessages(4);
    expect(dm).toMatchObject({ chatType: "direct", text: "a link https://x.test" });
    expect(mention).toMatchObject({ chatId: GROUP, chatType: "group", senderId: ALICE, mentioned: true, text: "what's up?" });
    expect(other).toMatchObject({ mentioned: false, text: "@4915199999999 hi" });
    expect(plain).toMatchObject({ mentioned: false, text: "plain group talk" });
  });

  it("counts a mention of the bot's privacy id (@lid) and a reply to the bot", async () => {
    const sock = await online();
    sock.upsert([
      waMessage({ from: ALICE, chat: GROUP, message: { extendedTextMessage: { text: "@98765432100012 hi", contextInfo: { mentionedJid: ["98765432100012@lid"] } } } }),
      waMessage({ from: ALICE, chat: GROUP, message: { extendedTextMessage: { text: "thanks!", contextInfo: { stanzaId: "3EB0OUT", participant: BOT.id } } } }),
    ]);
    const [lid, reply] = await h!.waitForMessages(2);
    expect(lid).toMatchObject({ mentioned: true, text: "hi" });
    expect(reply).toMatchObject({ mentioned: false, replyToBot: true, text: "thanks!" });
  });

  it("prefers the phone-number JID WhatsApp sends beside a privacy id (@lid)", async () => {
    const sock = await online();
    sock.upsert([
      waMessage({ from: "1234567890123@lid", chat: GROUP, participantAlt: ALICE, message: { conversation: "group via lid" } }),
      waMessage({ from: "1234567890123@lid", remoteJidAlt: ALICE, message: { conversation: "dm via lid" } }),
    ]);
    const [group, dm] = await h!.waitForMessages(2);
    expect(group).toMatchObject({ senderId: ALICE, chatId: GROUP });
    // replies go to the chat as WhatsApp named it
    expect(dm).toMatchObject({ senderId: ALICE, chatId: "1234567890123@lid" });
  });

  it("unwraps disappearing (ephemeral) messages", async () => {
    const sock = await online();
    sock.upsert([waMessage({ from: ALICE, message: { ephemeralMessage: { message: { extendedTextMessage: { text: "vanishing" } } } } })]);
    const [msg] = await h!.waitForMessages(1);
    expect(msg!.text).toBe("vanishing");
  });
});

describe("WhatsApp native: messages written while the gateway was down", () => {
  it("answers what WhatsApp held for the device while it was offline (baileys upserts it as \"append\")", async () => {
    const sock = await online();
    sock.upsert([waMessage({ from: ALICE, id: "3EBOFF1", message: { conversation: "are you there?" } })], "append");
    const [msg] = await h!.waitForMessages(1);
    expect(msg).toMatchObject({ chatId: ALICE, messageId: "3EBOFF1", text: "are you there?" });
  });
});

describe("WhatsApp native: what is ignored", () => {
  it("ignores the bot's own messages, status updates and empty content", async () => {
    const sock = await online();
    sock.upsert([
      waMessage({ from: ALICE, fromMe: true, message: { conversation: "sent from the phone" } }),
      waMessage({ from: ALICE, chat: "status@broadcast", message: { conversation: "my status" } }),
      waMessage({ from: ALICE, message: { reactionMessage: { text: "👍" } } }),
      waMessage({ from: ALICE, message: { conversation: "" } }),
    ]);
    sock.upsert([waMessage({ from: ALICE, fromMe: true, message: { conversation: "our own message, resent" } })], "append");
    sock.upsert([waMessage({ from: ALICE, chat: "120363000000000001@newsletter", message: { conversation: "a channel post" } })], "append");
    sock.upsert([
      { key: { remoteJid: ALICE } },
      "garbage",
      waMessage({ from: ALICE, message: { imageMessage: { caption: 42 } } }),
      waMessage({ from: ALICE, message: { conversation: "the real one" } }),
    ]);
    const [msg] = await h!.waitForMessages(1);
    await pause(50);
    expect(h!.received.map((m) => m.text)).toEqual(["the real one"]);
    expect(msg!.text).toBe("the real one");
    expect(h!.rec.logged("skipping a WhatsApp message of unexpected shape").map((l) => l.reason)).toEqual([
      "unexpected shape at key.id",
      "unexpected shape at message",
      "unexpected shape at message.imageMessage.caption",
    ]);
  });

  it("drops a message WhatsApp delivers twice", async () => {
    const sock = await online();
    const m = waMessage({ from: ALICE, id: "DUP", message: { conversation: "once" } });
    sock.upsert([m]);
    sock.upsert([m]);
    await h!.waitForMessages(1);
    await pause(50);
    expect(h!.received).toHaveLength(1);
  });
});

describe("WhatsApp native: media", () => {
  it("turns a voice note into voice media whose fetch() downloads through the injected function", async () => {
    const sock = await online();
    const raw = waMessage({ from: ALICE, message: { audioMessage: { ptt: true, mimetype: "audio/ogg; codecs=opus", seconds: 4, fileLength: 5321 } } });
    sock.upsert([raw]);
    const [msg] = await h!.waitForMessages(1);
    expect(msg!.text).toBe("");
    expect(msg!.media).toHaveLength(1);
    const voice = msg!.media![0]!;
    expect(voice).toMatchObject({ kind: "voice", mimeType: "audio/ogg; codecs=opus", size: 5321 });
    expect(h!.downloads).toEqual([]); // lazy
    expect((await voice.fetch!()).toString()).toBe("OggS-fake-voice");
    expect(h!.downloads).toEqual([raw]);
  });

  it("reads images with captions, plain audio and documents", async () => {
    const sock = await online();
    sock.upsert([
      waMessage({ from: ALICE, message: { imageMessage: { caption: "what is this?", mimetype: "image/jpeg", fileLength: { low: 2048, high: 0, unsigned: true, toNumber: () => 2048 } } } }),
      waMessage({ from: ALICE, message: { audioMessage: { ptt: false, mimetype: "audio/mpeg" } } }),
      waMessage({ from: ALICE, message: { documentWithCaptionMessage: { message: { documentMessage: { caption: "the report", fileName: "q3.pdf", mimetype: "application/pdf" } } } } }),
    ]);
    const [image, audio, doc] = await h!.waitForMessages(3);
    expect(image).toMatchObject({ text: "what is this?", media: [{ kind: "image", mimeType: "image/jpeg", size: 2048 }] });
    expect(audio).toMatchObject({ text: "", media: [{ kind: "audio", mimeType: "audio/mpeg" }] });
    expect(doc).toMatchObject({ text: "the report", media: [{ kind: "file", filename: "q3.pdf", mimeType: "application/pdf" }] });
  });

  it("refuses to download media over the size cap", async () => {
    h = nativeHarness({ maxMediaBytes: 1024 });
    await h.start();
    const sock = await h.sockets.waitForSocket(1);
    sock.open();
    sock.upsert([waMessage({ from: ALICE, message: { audioMessage: { ptt: true, mimetype: "audio/ogg", fileLength: 4096 } } })]);
    const [msg] = await h.waitForMessages(1);
    await expect(msg!.media![0]!.fetch!()).rejects.toThrow(/WhatsApp voice note is over the 1 KB download limit \(4 KB\)/);
    expect(h.downloads).toEqual([]);
  });
});
