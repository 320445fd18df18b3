// Files from the agent on Discord: one multipart message with payload_json
// (the words, attachments[0] naming the file) and files[0] carrying the bytes
// with their type; over the server's upload limit Discord answers 413 / 40005
// and the chat gets the words and a one-line note instead.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileChunk, MP3, PDF } from "../../fakes/sample-files.ts";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.start();
});
afterAll(async () => {
  await h.close();
});

describe("Discord: files from the agent", () => {
  it("uploads a document as files[0] with its name, type and bytes, the words as content", async () => {
    const { messageId } = await h.adapter.send(h.fake.dmChannelId(), fileChunk("file", "application/pdf", PDF, "q3-report.pdf", "Here is the **Q3** report"));
    const sent = h.fake.sent.at(-1)!;
    expect(messageId).toBe(sent.messageId);
    expect(sent.contentType).toBe("multipart/form-data");
    expect(sent.body).toMatchObject({ content: "Here is the **Q3** report", attachments: [{ id: 0, filename: "q3-report.pdf" }] });
    expect(sent.files).toHaveLength(1);
    expect(sent.files[0]).toMatchObject({ field: "files[0]", name: "q3-report.pdf", contentType: "application/pdf" });
    expect(sent.files[0]!.data.equals(PDF)).toBe(true);
  });

  it("uploads audio the same way, playable in the client", async () => {
    await h.adapter.send(h.fake.dmChannelId(), fileChunk("audio", "audio/mpeg", MP3, "song.mp3"));
    const sent = h.fake.sent.at(-1)!;
    expect(sent.files[0]).toMatchObject({ name: "song.mp3", contentType: "audio/mpeg" });
    expect(sent.files[0]!.data.equals(MP3)).toBe(true);
  });

  it("a file over the upload limit arrives as the words and a one-line note", async () => {
    const before = h.fake.sent.length;
    h.fake.uploadLimit = PDF.length - 1;
    try {
      const { messageId } = await h.adapter.send(h.fake.dmChannelId(), fileChunk("file", "application/pdf", PDF, "q3-report.pdf", "Here is the report"));
      expect(h.fake.sent).toHaveLength(before + 1);
      const sent = h.fake.sent.at(-1)!;
      expect(messageId).toBe(sent.messageId);
      expect(sent.files).toEqual([]);
      expect(sent.body.content).toBe(`Here is the report\n\n📎 q3-report.pdf (${PDF.length} bytes) was not sent: Discord refused it as larger than this server's upload limit.`);
    } finally {
      h.fake.uploadLimit = 10 * 1024 * 1024;
    }
  });
});
