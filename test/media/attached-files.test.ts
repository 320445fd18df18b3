// Every kind of file a person sends becomes text for the model, or a one-line
// note saying why it could not be read (which the model passes on): per type,
// through the same function the pipeline calls when a message arrives.
import { describe, expect, it } from "vitest";
import type { InboundMedia, InboundMessage } from "../../src/core/channel.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { attachedFileTexts } from "../../src/media/attached-files.ts";
import { makePdf } from "../fakes/pdf.ts";

const msg = (...media: InboundMedia[]): InboundMessage => ({ channel: "test", chatId: "c", chatType: "direct", messageId: "1", senderId: "u", text: "", media });
const file = (filename: string, data: Buffer, mimeType?: string): InboundMedia => ({ kind: "file", filename, data, ...(mimeType ? { mimeType } : {}) });

describe("attached files as the model reads them", () => {
  it("PDF, plain text, Markdown, code, CSV and JSON each become a labelled block of their text", async () => {
    const texts = await attachedFileTexts(
      msg(
        file("invoice.pdf", makePdf([["Total due: 80 EUR"]]), "application/pdf"),
        file("notes.txt", Buffer.from("buy milk"), "text/plain"),
        file("README.md", Buffer.from("# Plan\n- ship it"), "application/octet-stream"),
        file("app.ts", Buffer.from("export const x = 1;\n")),
        file("stock.csv", Buffer.from("item,qty\npears,4\n"), "text/csv"),
        file("cfg.json", Buffer.from('{"debug": true}'), "application/json"),
      ),
      silentLogger(),
    );
    expect(texts).toHaveLength(6);
    expect(texts[0]).toMatch(/^\[attached file: invoice\.pdf, 1 page\]\n--- page 1 ---\nTotal due: 80 EUR\n\[end of invoice\.pdf\]$/);
    expect(texts.slice(1)).toEqual([
      "[attached file: notes.txt]\nbuy milk\n[end of notes.txt]",
      "[attached file: README.md]\n# Plan\n- ship it\n[end of README.md]",
      "[attached file: app.ts]\nexport const x = 1;\n\n[end of app.ts]",
      "[attached file: stock.csv]\nitem,qty\npears,4\n\n[end of stock.csv]",
      '[attached file: cfg.json]\n{"debug": true}\n[end of cfg.json]',
    ]);
  });

  it("an unsupported file becomes one clear line for the model to pass on, never silence", async () => {
    const [note] = await attachedFileTexts(msg(file("slides.pptx", Buffer.from("PK\u0003\u0004"), "application/vnd.ms-powerpoint")), silentLogger());
    expect(note).toBe("[the person attached slides.pptx, which could not be read: I can't read .pptx files yet; send it as a PDF or as plain text. Tell them so in one sentence.]");
    expect(note!.split("\n")).toHaveLength(1);
  });

  it("says why when a file is too big, cannot be downloaded, or came without contents; images and voice are not files", async () => {
    const texts = await attachedFileTexts(
      msg(
        { kind: "file", filename: "huge.txt", size: 50 * 1024 * 1024, fetch: async () => Buffer.from("never fetched") },
        { kind: "file", filename: "gone.txt", fetch: async () => Promise.reject(new Error("404")) },
        { kind: "file", filename: "empty-handed.txt" },
        { kind: "image", mimeType: "image/png", data: Buffer.from("png") },
        { kind: "voice", mimeType: "audio/ogg", data: Buffer.from("ogg") },
      ),
      silentLogger(),
      10 * 1024 * 1024,
    );
    expect(texts).toEqual([
      "[the person attached huge.txt, which could not be read: it is larger than 10 MB. Tell them so in one sentence.]",
      "[the person attached gone.txt, which could not be read: downloading it failed. Tell them so in one sentence.]",
      "[the person attached empty-handed.txt, which could not be read: the platform did not hand over its contents. Tell them so in one sentence.]",
    ]);
  });
});
