// Files from the agent on Feishu: the bytes are uploaded (im/v1/files with
// the right file_type, im/v1/images for pictures), then the key goes out as a
// file, audio or image message, the words just before it; too large → the
// words and a one-line note, no upload kept.
import { afterEach, describe, expect, it } from "vitest";
import { p2pChatIdFor } from "../../fakes/lark/server.ts";
import { fileChunk, MP3, OPUS, PDF } from "../../fakes/sample-files.ts";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const ALICE = p2pChatIdFor("alice");
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=", "base64");

async function started(): Promise<Harness> {
  h = await startHarness();
  await h.start();
  return h;
}

describe("feishu: files from the agent", () => {
  it("uploads a PDF as file_type pdf, sends the words, then a file message with its key", async () => {
    await started();
    const res = await h.adapter.send(ALICE, fileChunk("file", "application/pdf", PDF, "q3-report.pdf", "Here is the Q3 report"));
    expect(h.lark.uploads.list).toHaveLength(1);
    const up = h.lark.uploads.list[0]!;
    expect(up).toMatchObject({ endpoint: "files", type: "pdf", fileName: "q3-report.pdf", contentType: "application/pdf" });
    expect(up.data.equals(PDF)).toBe(true);
    expect(h.lark.sent.map((m) => m.msgType)).toEqual(["post", "file"]);
    expect(h.lark.sent[0]!.text).toBe("Here is the Q3 report");
    expect(h.lark.sent[1]!.content).toEqual({ file_key: up.key });
    expect(res.messageId).toBe(h.lark.sent[1]!.messageId);
  });

  it("sends Opus as an audio message, other audio and Office files as files of their kind", async () => {
    await started();
    await h.adapter.send(ALICE, fileChunk("audio", "audio/ogg; codecs=opus", OPUS, "note.opus"));
    await h.adapter.send(ALICE, fileChunk("audio", "audio/mpeg", MP3, "song.mp3"));
    await h.adapter.send(ALICE, fileChunk("file", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Buffer.from("PK\x03\x04sheet", "latin1"), "budget.xlsx"));
    expect(h.lark.uploads.list.map((u) => [u.type, u.fileName])).toEqual([
      ["opus", "note.opus"],
      ["stream", "song.mp3"],
      ["xls", "budget.xlsx"],
    ]);
    expect(h.lark.uploads.list[0]!.data.equals(OPUS)).toBe(true);
    expect(h.lark.uploads.list[0]!.duration).toBe(1000); // read from the Ogg pages, so Feishu shows the length
    expect(h.lark.uploads.list[1]!.duration).toBeUndefined();
    expect(h.lark.sent.map((m) => m.msgType)).toEqual(["audio", "file", "file"]);
    expect(h.lark.sent.map((m) => (m.content as { file_key: string }).file_key)).toEqual(h.lark.uploads.list.map((u) => u.key));
  });

  it("uploads a picture through im/v1/images and sends it as an image message", async () => {
    await started();
    await h.adapter.send(ALICE, fileChunk("image", "image/png", PNG, "chart.png"));
    expect(h.lark.uploads.list[0]).toMatchObject({ endpoint: "images", type: "message", fileName: "chart.png" });
    expect(h.lark.sent[0]).toMatchObject({ msgType: "image", content: { image_key: h.lark.uploads.list[0]!.key } });
  });

  it("a file Feishu refuses as too large arrives as the words and a one-line note", async () => {
    await started();
    h.lark.uploads.fileLimit = PDF.length - 1;
    const res = await h.adapter.send(ALICE, fileChunk("file", "application/pdf", PDF, "q3-report.pdf", "Here is the report"));
    expect(h.lark.uploads.list).toEqual([]);
    expect(h.lark.sent).toHaveLength(1);
    expect(h.lark.sent[0]!.text).toBe(`Here is the report\n\n📎 q3-report.pdf (${PDF.length} bytes) was not sent: Feishu refused it as too large.`);
    expect(res.messageId).toBe(h.lark.sent[0]!.messageId);
  });
});
