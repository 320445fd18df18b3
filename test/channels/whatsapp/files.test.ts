// Files from the agent on WhatsApp. Native (baileys): a document goes as
// { document, mimetype, fileName, caption }, audio as { audio, mimetype, ptt }
// (Opus as a voice note) after the words; over WhatsApp's limits the chat
// gets the words and a one-line note. Bridge: the same bytes, type and name
// travel in the frame's media list.
import { afterEach, describe, expect, it } from "vitest";
import { fileChunk, MP3, OPUS, PDF } from "../../fakes/sample-files.ts";
import { nativeHarness, startBridgeHarness, type BridgeHarness, type NativeHarness } from "./harness.ts";

let native: NativeHarness | undefined;
let bridged: BridgeHarness | undefined;
afterEach(async () => {
  await native?.close();
  await bridged?.close();
  native = undefined;
  bridged = undefined;
});

const ALICE = "4915112345678@s.whatsapp.net";

async function online() {
  native = nativeHarness();
  await native.start();
  const sock = await native.sockets.waitForSocket(1);
  sock.open();
  await native.waitForStatus("online");
  return { sock, adapter: native.adapter };
}

describe("WhatsApp native: files from the agent", () => {
  it("sends a document with its bytes, type, name and the words as caption", async () => {
    const { sock, adapter } = await online();
    const res = await adapter.send(ALICE, fileChunk("file", "application/pdf", PDF, "q3-report.pdf", "Here is the **Q3** report"));
    expect(sock.sent).toHaveLength(1);
    const content = sock.sent[0]!.content;
    expect(content).toMatchObject({ mimetype: "application/pdf", fileName: "q3-report.pdf", caption: "Here is the *Q3* report" });
    expect((content.document as Buffer).equals(PDF)).toBe(true);
    expect(res).toEqual({ messageId: "3EB0FAKE1" });
  });

  it("sends MP3 as audio and Opus as a voice note, the words first", async () => {
    const { sock, adapter } = await online();
    await adapter.send(ALICE, fileChunk("audio", "audio/mpeg", MP3, "song.mp3", "Your song"));
    await adapter.send(ALICE, fileChunk("audio", "audio/ogg; codecs=opus", OPUS, "note.opus"));
    expect(sock.sent.map((s) => Object.keys(s.content).sort().join(","))).toEqual(["text", "audio,mimetype,ptt", "audio,mimetype,ptt"]);
    expect(sock.sent[0]!.content).toEqual({ text: "Your song" });
    expect(sock.sent[1]!.content).toMatchObject({ mimetype: "audio/mpeg", ptt: false });
    expect((sock.sent[1]!.content.audio as Buffer).equals(MP3)).toBe(true);
    expect(sock.sent[2]!.content).toMatchObject({ mimetype: "audio/ogg; codecs=opus", ptt: true });
  });

  it("audio over WhatsApp's 16 MB limit arrives as the words and a one-line note", async () => {
    const { sock, adapter } = await online();
    await adapter.send(ALICE, fileChunk("audio", "audio/mpeg", Buffer.alloc(16 * 1024 * 1024 + 1, 1), "podcast.mp3", "The episode"));
    expect(sock.sent).toEqual([{ jid: ALICE, content: { text: "The episode\n\n📎 podcast.mp3 (16 MB) was not sent: WhatsApp takes files up to 16 MB." } }]);
  });
});

describe("WhatsApp bridge: files from the agent", () => {
  it("carries a document and an audio file in the frame's media list with name, type and bytes", async () => {
    bridged = await startBridgeHarness();
    await bridged.start();
    await bridged.adapter.send(ALICE, fileChunk("file", "application/pdf", PDF, "q3-report.pdf", "Here is the report"));
    await bridged.adapter.send(ALICE, fileChunk("audio", "audio/mpeg", MP3, "song.mp3"));
    await bridged.bridge.waitForSent(2);
    expect(bridged.bridge.sent).toEqual([
      { type: "message", to: ALICE, content: "Here is the report", media: [{ type: "document", mimetype: "application/pdf", data: PDF.toString("base64"), filename: "q3-report.pdf" }] },
      { type: "message", to: ALICE, content: "", media: [{ type: "audio", mimetype: "audio/mpeg", data: MP3.toString("base64"), filename: "song.mp3" }] },
    ]);
    expect(bridged.bridge.invalid).toEqual([]);
  });
});
