// Bridge mode, inbound: frames from the fake bridge become the gateway's
// InboundMessage (direct and group chats, mentions, media), and frames that
// do not fit are skipped with a log line, never a crash.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { AllowList } from "../../../src/gateway/access.ts";
import { pause, startBridgeHarness, type BridgeHarness } from "./harness.ts";

let h: BridgeHarness | undefined;
let files: Server | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
  await new Promise<void>((r) => (files ? files.close(() => r()) : r()));
  files = undefined;
});

async function started(...args: Parameters<typeof startBridgeHarness>): Promise<BridgeHarness> {
  h = await startBridgeHarness(...args);
  await h.start();
  return h;
}

const ALICE = "4915112345678@s.whatsapp.net";
const GROUP = "120363025246125486@g.us";
const BOT = "4917000000001@s.whatsapp.net";

describe("WhatsApp bridge: direct and group messages", () => {
  it("normalizes a direct message with the full JID as sender, no username, and the bridge's name", async () => {
    const { bridge } = await started();
    bridge.userSays({ from: "+4915112345678", text: "hello there", fromName: "Alice", id: "3EB0AA", timestamp: 1_767_225_600 });
    const [msg] = await h!.waitForMessages(1);
    expect(msg).toEqual({
      channel: "whatsapp",
      chatId: ALICE,
      chatType: "direct",
      messageId: "3EB0AA",
      senderId: ALICE,
      senderName: "Alice",
      text: "hello there",
      sentAt: 1_767_225_600_000,
    });
    expect(msg!.senderUsername).toBeUndefined();
    // the gateway's allow-list matches a phone number entry against the JID
    expect(new AllowList(["+4915112345678"]).allows(msg!)).toBe(true);
    expect(new AllowList(["+4915199999999"]).allows(msg!)).toBe(false);
  });

  it("normalizes a group message: chat is the group, sender the participant without device", async () => {
    const { bridge } = await started();
    bridge.userSays({ from: "4915112345678:7@s.whatsapp.net", chat: GROUP, text: "hi all", id: "G1" });
    const [msg] = await h!.waitForMessages(1);
    expect(msg).toMatchObject({ chatId: GROUP, chatType: "group", senderId: ALICE, text: "hi all", mentioned: false });
  });

  it("replies to a DM go to the chat exactly as the bridge named it (@c.us bridges)", async () => {
    const { bridge } = await started();
    bridge.push({ type: "message", from: "4915112345678@c.us", content: "from a c.us bridge", id: "C1" });
    const [msg] = await h!.waitForMessages(1);
    expect(msg).toMatchObject({ chatId: "4915112345678@c.us", senderId: ALICE });
  });

  it("keeps order and drops a message the bridge delivers twice", async () => {
    const { bridge } = await started();
    bridge.userSays({ from: ALICE, text: "one", id: "M1" });
    bridge.userSays({ from: ALICE, text: "two", id: "M2" });
    bridge.userSays({ from: ALICE, text: "one", id: "M1" });
    bridge.userSays({ from: ALICE, text: "three", id: "M3" });
    await h!.waitForMessages(3);
    await pause(50);
    expect(h!.received.map((m) => m.text)).toEqual(["one", "two", "three"]);
  });

  it("ignores status broadcasts and messages with neither text nor media", async () => {
    const { bridge } = await started();
    bridge.userSays({ from: ALICE, chat: "status@broadcast", text: "my status" });
    bridge.userSays({ from: ALICE, text: "   " });
    bridge.userSays({ from: ALICE, text: "real", id: "R" });
    await h!.waitForMessages(1);
    await pause(50);
    expect(h!.received.map((m) => m.text)).toEqual(["real"]);
  });
});

describe("WhatsApp bridge: mentions in groups", () => {
  it("is not mentioned by number before the bridge says who the bot is", async () => {
    const { bridge } = await started();
    bridge.userSays({ from: ALICE, chat: GROUP, text: "@4917000000001 hi", id: "X1" });
    const [msg] = await h!.waitForMessages(1);
    expect(msg!.mentioned).toBe(false);
  });

  it("detects @<bot number> in the text once a status frame named the bot, and removes it", async () => {
    const { bridge, adapter } = await started();
    bridge.push({ type: "status", status: "connected", me: "4917000000001:3@s.whatsapp.net" });
    await pause(30);
    expect(adapter.botJid).toBe(BOT);
    bridge.userSays({ from: ALICE, chat: GROUP, text: "@4917000000001 what's the weather?", id: "X2" });
    bridge.userSays({ from: ALICE, chat: GROUP, text: "@4917000000002 not you", id: "X3" });
    const [a, b] = await h!.waitForMessages(2);
    expect(a).toMatchObject({ mentioned: true, text: "what's the weather?" });
    expect(b).toMatchObject({ mentioned: false, text: "@4917000000002 not you" });
  });

  it("takes the bridge's `mentions` list and `mentioned` flag", async () => {
    const { bridge } = await started();
    bridge.push({ type: "status", me: BOT });
    bridge.userSays({ from: ALICE, chat: GROUP, text: "hey bot", mentions: [BOT], id: "Y1" });
    bridge.push({ type: "message", from: ALICE, chat: GROUP, content: "flagged", mentioned: true, id: "Y2" });
    bridge.userSays({ from: ALICE, chat: GROUP, text: "someone else", mentions: ["4915199999999@s.whatsapp.net"], id: "Y3" });
    const got = await h!.waitForMessages(3);
    expect(got.map((m) => m.mentioned)).toEqual([true, true, false]);
  });
});

describe("WhatsApp bridge: media", () => {
  it("carries base64 data, and fetches URLs lazily under the size cap", async () => {
    const served: string[] = [];
    files = createServer((req, res) => {
      served.push(req.url ?? "");
      if (req.url === "/big") {
        res.writeHead(200, { "content-length": String(2048) });
        res.end(Buffer.alloc(2048));
        return;
      }
      res.end(Buffer.from("OggS-voice-bytes"));
    });
    await new Promise<void>((r) => files!.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    const { bridge } = await started({}, { maxMediaBytes: 1024 });
    bridge.userSays({
      from: ALICE,
      text: "look",
      id: "MED1",
      media: [
        { type: "image", mimetype: "image/png", data: Buffer.from("PNGDATA").toString("base64"), filename: "a.png" },
        { type: "ptt", mimetype: "audio/ogg; codecs=opus", url: `${base}/voice.ogg?sig=1` },
        { type: "video", mimetype: "video/mp4", url: `${base}/big` },
        { type: "image" }, // neither data nor url: skipped
        "not an object",
      ],
    });
    const [msg] = await h!.waitForMessages(1);
    expect(msg!.text).toBe("look");
    const [image, voice, video] = msg!.media!;
    expect(msg!.media).toHaveLength(3);
    expect(image).toMatchObject({ kind: "image", mimeType: "image/png", filename: "a.png", size: 7 });
    expect(image!.data!.toString()).toBe("PNGDATA");
    expect(voice).toMatchObject({ kind: "voice", mimeType: "audio/ogg; codecs=opus" });
    expect(served).toEqual([]); // nothing downloaded until asked
    expect((await voice!.fetch!()).toString()).toBe("OggS-voice-bytes");
    await expect(video!.fetch!()).rejects.toThrow(/over the 1 KB download limit/);
    expect(h!.rec.logged("skipping a WhatsApp media entry")).toHaveLength(2);
  });

  it("emits a media-only message (voice note without text)", async () => {
    const { bridge } = await started();
    bridge.userSays({ from: ALICE, text: "", id: "V1", media: [{ type: "audio", mimetype: "audio/ogg", data: Buffer.from("x").toString("base64") }] });
    const [msg] = await h!.waitForMessages(1);
    expect(msg).toMatchObject({ text: "", media: [{ kind: "audio" }] });
  });
});

describe("WhatsApp bridge: frames that do not fit", () => {
  it("logs and ignores malformed, unknown and binary frames, and keeps going", async () => {
    const { bridge } = await started();
    bridge.push("this is not json");
    bridge.push("[1,2,3]");
    bridge.push({ type: "message", content: "no sender" });
    bridge.push({ type: "message", from: 42, content: "sender is a number" });
    bridge.push({ type: "presence", from: ALICE, state: "typing" });
    bridge.push({ type: "error", error: "send failed: not on WhatsApp" });
    bridge.pushBinary(Buffer.from([1, 2, 3]));
    bridge.userSays({ from: ALICE, text: "still alive", id: "OK" });
    const [msg] = await h!.waitForMessages(1);
    expect(msg!.text).toBe("still alive");
    expect(h!.received).toHaveLength(1);
    expect(h!.rec.logged("ignoring a malformed frame")).toHaveLength(2);
    expect(h!.rec.logged("ignoring a WhatsApp bridge message of unexpected shape").map((l) => l.field)).toEqual(["from", "from"]);
    expect(h!.rec.logged("unknown type")).toHaveLength(1);
    expect(h!.rec.logged("reported an error")[0]).toMatchObject({ error: "send failed: not on WhatsApp" });
    expect(h!.rec.logged("binary frame")).toHaveLength(1);
    expect(bridge.connections).toBe(1); // no reconnect: nothing crashed
    expect(h!.statuses.map((s) => s.state)).toEqual(["connecting", "online"]);
  });

  it("reports a bridge that waits for a QR scan in the status detail", async () => {
    const { bridge } = await started();
    const mark = h!.statuses.length;
    bridge.push({ type: "qr", qr: "2@abc" });
    const s = await h!.waitForStatus("online", mark);
    expect(s.detail).toMatch(/not paired yet: scan the QR code the bridge shows/);
    bridge.push({ type: "status", status: "connected" });
    await h!.waitForStatus("online", mark + 1);
    expect(h!.statuses.at(-1)).toEqual({ state: "online" });
  });
});
