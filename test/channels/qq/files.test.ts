// Files from the agent on QQ: QQ's rich-media upload takes pictures, MP4
// video and SILK voice; generic files (file_type 4) are not open to bots. So
// a SILK voice note goes up as file_type 3 and out as msg_type 7, while a
// document or an MP3 reaches the chat as the words and a one-line note
// saying why the file is missing — never silence, never a dead letter.
import { afterEach, describe, expect, it } from "vitest";
import { fileChunk, MP3, PDF, SILK } from "../../fakes/sample-files.ts";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function started(): Promise<Harness> {
  h = await startHarness();
  await h.start();
  h.fake.c2cMessage({ openid: "U1", text: "send me the report" });
  await h.waitForMessages(1);
  return h;
}

describe("QQ: files from the agent", () => {
  it("sends a SILK voice note through the rich-media upload (file_type 3)", async () => {
    const { fake, adapter } = await started();
    const res = await adapter.send("U1", fileChunk("audio", "audio/silk", SILK, "note.silk"));
    expect(fake.uploads).toEqual([expect.objectContaining({ kind: "user", target: "U1", fileType: 3, fileData: SILK.toString("base64") })]);
    expect(fake.sent[0]).toMatchObject({ msgType: 7, media: { file_info: fake.uploads[0]!.fileInfo } });
    expect(res.messageId).toBe(fake.sent[0]!.id);
  });

  it("a document arrives as the words and a note that QQ bots cannot send files", async () => {
    const { fake, adapter } = await started();
    const res = await adapter.send("U1", fileChunk("file", "application/pdf", PDF, "q3-report.pdf", "Here is the report"));
    expect(fake.uploads).toEqual([]);
    expect(fake.sent[0]).toMatchObject({
      msgType: 0,
      content: `Here is the report\n\n📎 q3-report.pdf (${PDF.length} bytes) was not sent: QQ bots cannot send files (only pictures, MP4 video and SILK voice).`,
    });
    expect(res.messageId).toBe(fake.sent[0]!.id);
  });

  it("audio QQ cannot play arrives as a note naming the formats it takes", async () => {
    const { fake, adapter } = await started();
    await adapter.send("U1", fileChunk("audio", "audio/mpeg", MP3, "song.mp3"));
    expect(fake.uploads).toEqual([]);
    expect(fake.sent[0]!.content).toBe(`📎 song.mp3 (${MP3.length} bytes) was not sent: QQ plays voice only in SILK or AMR format.`);
  });
});
