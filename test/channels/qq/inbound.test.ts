// Direct and group @-messages from the fake QQ, as the gateway receives them.
import { afterEach, describe, expect, it } from "vitest";
import { pause, startHarness, type Harness } from "./harness.ts";

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

const SILK = Buffer.concat([Buffer.from([0x02]), Buffer.from("#!SILK_V3"), Buffer.alloc(64, 7)]);

describe("QQ inbound messages", () => {
  it("turns a direct (C2C) message into a direct InboundMessage keyed by the user's openid", async () => {
    const { fake, received } = await started();
    const id = fake.c2cMessage({ openid: "E1B2C3D4OPENID", text: "  hello &lt;bot&gt; &amp; co  " });
    await h!.waitForMessages(1);
    const msg = received[0]!;
    expect(msg).toMatchObject({
      channel: "qq",
      accountId: fake.appId,
      chatId: "E1B2C3D4OPENID",
      chatType: "direct",
      messageId: id,
      senderId: "E1B2C3D4OPENID",
      text: "hello <bot> & co",
    });
    expect(msg.mentioned).toBeUndefined();
    expect(Math.abs(msg.sentAt! - Date.now())).toBeLessThan(60_000);
  });

  it("turns a group @-message into a group InboundMessage: chat = group, sender = member, mentioned", async () => {
    const { fake, received } = await started();
    const id = fake.groupAtMessage({ groupOpenid: "GROUPOPENID1", memberOpenid: "MEMBER1", text: "what time is it?" });
    await h!.waitForMessages(1);
    expect(received[0]).toMatchObject({
      channel: "qq",
      chatId: "GROUPOPENID1",
      chatType: "group",
      messageId: id,
      senderId: "MEMBER1",
      mentioned: true,
      text: "what time is it?",
    });
  });

  it("emits messages in the order QQ sent them, and drops repeats of the same message id", async () => {
    const { fake, received } = await started();
    fake.c2cMessage({ openid: "U1", text: "a", id: "M-1" });
    fake.c2cMessage({ openid: "U1", text: "b", id: "M-2" });
    fake.c2cMessage({ openid: "U1", text: "a again", id: "M-1" });
    fake.c2cMessage({ openid: "U1", text: "c", id: "M-3" });
    await h!.waitForMessages(3);
    await pause(50);
    expect(received.map((m) => m.text)).toEqual(["a", "b", "c"]);
  });

  it("drops empty messages and skips malformed events without losing the connection", async () => {
    const { fake, received, logs } = await started();
    fake.c2cMessage({ openid: "U1", text: "   " });
    fake.dispatch("C2C_MESSAGE_CREATE", { id: "X", content: "no author" });
    fake.dispatch("FRIEND_ADD", { openid: "U1", timestamp: 1 });
    fake.c2cMessage({ openid: "U1", text: "still here" });
    await h!.waitForMessages(1);
    await pause(50);
    expect(received.map((m) => m.text)).toEqual(["still here"]);
    expect(logs.join("\n")).toMatch(/skipping a QQ event of unexpected shape/);
  });

  it("keeps the connection when the gateway fails to store a message, and logs it", async () => {
    h = await startHarness();
    let calls = 0;
    await h.adapter.start({
      signal: h.controller.signal,
      emit: async (msg) => {
        calls++;
        if (msg.text === "boom") throw new Error("inbox full");
        h!.received.push(msg);
      },
      setStatus: () => undefined,
    });
    h.fake.c2cMessage({ openid: "U1", text: "boom" });
    h.fake.c2cMessage({ openid: "U1", text: "fine" });
    await h.waitForMessages(1);
    expect(calls).toBe(2);
    const line = h.logs.find((l) => l.includes("QQ event handling failed"));
    expect(line).toContain("inbox full");
  });
});

describe("QQ inbound attachments", () => {
  it("offers a voice message as SILK audio, fetched on demand", async () => {
    const { fake, received } = await started();
    fake.c2cMessage({ openid: "U1", text: "", attachments: [{ contentType: "voice", filename: "B43A0CF8.silk", data: SILK }] });
    await h!.waitForMessages(1);
    const media = received[0]!.media!;
    expect(media).toHaveLength(1);
    expect(media[0]).toMatchObject({ kind: "voice", mimeType: "audio/silk", filename: "B43A0CF8.silk", size: SILK.length });
    expect(fake.requests.some((r) => r.path.startsWith("/media/"))).toBe(false); // lazy
    expect(Buffer.compare(await media[0]!.fetch!(), SILK)).toBe(0);
  });

  it("prefers QQ's WAV conversion of a voice message when it offers one", async () => {
    const { fake, received } = await started();
    const wav = Buffer.concat([Buffer.from("RIFF"), Buffer.alloc(40, 1)]);
    fake.c2cMessage({ openid: "U1", text: "", attachments: [{ contentType: "voice", filename: "v.amr", data: Buffer.from("#!AMR\n"), wav }] });
    await h!.waitForMessages(1);
    const voice = received[0]!.media![0]!;
    expect(voice).toMatchObject({ kind: "voice", mimeType: "audio/wav", filename: "v.wav" });
    expect(Buffer.compare(await voice.fetch!(), wav)).toBe(0);
  });

  it("names AMR voice honestly and offers images with text", async () => {
    const { fake, received } = await started();
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    fake.groupAtMessage({
      groupOpenid: "G1",
      memberOpenid: "M1",
      text: "look",
      attachments: [
        { contentType: "voice", filename: "note.amr", data: Buffer.from("#!AMR\n") },
        { contentType: "image/png", filename: "pic.png", data: png },
        { contentType: "file", filename: "doc.pdf", data: Buffer.from("%PDF") },
      ],
    });
    await h!.waitForMessages(1);
    const [voice, image, file] = received[0]!.media!;
    expect(voice).toMatchObject({ kind: "voice", mimeType: "audio/amr" });
    expect(image).toMatchObject({ kind: "image", mimeType: "image/png", filename: "pic.png" });
    expect(file).toMatchObject({ kind: "file", filename: "doc.pdf" });
    expect(Buffer.compare(await image!.fetch!(), png)).toBe(0);
    expect(received[0]!.text).toBe("look");
  });

  it("refuses to download an attachment over the size cap", async () => {
    const { fake, received } = await started({}, { maxMediaBytes: 1_000 });
    fake.c2cMessage({
      openid: "U1",
      text: "",
      attachments: [
        { contentType: "voice", filename: "big.silk", data: Buffer.alloc(2_000) },
        { contentType: "image/jpeg", filename: "lies.jpg", data: Buffer.alloc(5_000), size: 10 },
      ],
    });
    await h!.waitForMessages(1);
    const [big, lying] = received[0]!.media!;
    await expect(big!.fetch!()).rejects.toThrow(/"big.silk" is over the 1 KB download limit/);
    await expect(lying!.fetch!()).rejects.toThrow(/"lies.jpg" is over the 1 KB download limit/);
  });

  it("explains a download that fails", async () => {
    const { fake, received } = await started();
    fake.c2cMessage({ openid: "U1", text: "x", attachments: [{ contentType: "image/jpeg", filename: "gone.jpg", data: Buffer.alloc(10) }] });
    await h!.waitForMessages(1);
    await fake.close();
    await expect(received[0]!.media![0]!.fetch!()).rejects.toThrow(/"gone.jpg" could not be downloaded/);
  });
});
