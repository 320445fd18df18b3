// Files from the agent on Telegram: a document goes as sendDocument, MP3 as
// sendAudio, Ogg Opus as sendVoice and other audio as a document, multipart
// with the file's name and bytes and the words as caption; a file Telegram
// refuses as too large (413) becomes one message with the words and a note.
import { afterEach, describe, expect, it } from "vitest";
import { fileChunk, MP3, OPUS, PDF, WAV } from "../../fakes/sample-files.ts";
import { harness, type Harness } from "./harness.ts";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const uploaded = (i: number) => h.tg.sent[i]!.file as { filename?: string; data: Buffer; contentType?: string };

describe("telegram: files from the agent", () => {
  it("sends a document with sendDocument: its name, its bytes, the words as caption", async () => {
    h = await harness();
    const r = await h.adapter.send("555", fileChunk("file", "application/pdf", PDF, "q3-report.pdf", "Here is the **Q3** report"));
    const sent = h.tg.sent[0]!;
    expect(sent).toMatchObject({ method: "sendDocument", chat_id: 555, caption: "Here is the <b>Q3</b> report", parse_mode: "HTML" });
    expect(uploaded(0).filename).toBe("q3-report.pdf");
    expect(uploaded(0).data.equals(PDF)).toBe(true);
    expect(r.messageId).toBe(String(sent.message_id));
    expect(h.tg.sent).toHaveLength(1);
  });

  it("sends MP3 with sendAudio, Ogg Opus with sendVoice and WAV as a document", async () => {
    h = await harness();
    await h.adapter.send("555", fileChunk("audio", "audio/mpeg", MP3, "song.mp3"));
    await h.adapter.send("555", fileChunk("audio", "audio/ogg; codecs=opus", OPUS, "note.opus"));
    await h.adapter.send("555", fileChunk("audio", "audio/wav", WAV, "take.wav"));
    expect(h.tg.sent.map((s) => s.method)).toEqual(["sendAudio", "sendVoice", "sendDocument"]);
    expect([uploaded(0).filename, uploaded(1).filename, uploaded(2).filename]).toEqual(["song.mp3", "note.opus", "take.wav"]);
    expect(uploaded(0).data.equals(MP3)).toBe(true);
    expect(uploaded(1).data.equals(OPUS)).toBe(true);
  });

  it("a file Telegram refuses as too large arrives as the words and a one-line note", async () => {
    h = await harness();
    h.tg.uploadLimit = PDF.length - 1;
    const r = await h.adapter.send("555", fileChunk("file", "application/pdf", PDF, "q3-report.pdf", "Here is the report"));
    expect(h.tg.sent).toHaveLength(1);
    expect(h.tg.sent[0]).toMatchObject({ method: "sendMessage", text: `Here is the report\n\n📎 q3-report.pdf (${PDF.length} bytes) was not sent: Telegram refused it as too large.` });
    expect(r.messageId).toBe(String(h.tg.sent[0]!.message_id));
  });

  it("a file over the 50 MB bot limit is not uploaded at all", async () => {
    h = await harness();
    const big = Buffer.alloc(50 * 1024 * 1024 + 1, 1);
    await h.adapter.send("555", fileChunk("file", "application/zip", big, "backup.zip"));
    expect(h.tg.calls.filter((c) => c.method === "sendDocument")).toHaveLength(0);
    expect(h.tg.sent[0]).toMatchObject({ method: "sendMessage", text: "📎 backup.zip (50 MB) was not sent: Telegram takes files up to 50 MB." });
  });
});
