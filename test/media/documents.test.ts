// Documents people send become text for the model, within limits; anything
// that cannot be read is explained in one line.
import { describe, expect, it } from "vitest";
import { documentBlock, documentKind, readDocument } from "../../src/media/documents.ts";
import { makePdf } from "../fakes/pdf.ts";

describe("reading documents", () => {
  it("reads the text of every page of a PDF", async () => {
    const pdf = makePdf([["Quarterly report", "Revenue grew (a lot)."], ["Page two says hello."]]);
    const r = await readDocument(pdf, { mimeType: "application/pdf", filename: "report.pdf" });
    expect(r).toMatchObject({ ok: true, kind: "pdf", pages: 2, truncated: false });
    if (!r.ok) throw new Error(r.reason);
    expect(r.text).toContain("--- page 1 ---");
    expect(r.text).toMatch(/Quarterly report\s*\n?\s*Revenue grew \(a lot\)\./);
    expect(r.text).toContain("--- page 2 ---\nPage two says hello.");
    expect(documentBlock("report.pdf", r)).toMatch(/^\[attached file: report\.pdf, 2 pages\]\n[\s\S]*\n\[end of report\.pdf\]$/);
  });

  it("recognises a PDF by its name when the platform says octet-stream", async () => {
    expect(documentKind("application/octet-stream", "scan.PDF")).toBe("pdf");
    const r = await readDocument(makePdf([["hi"]]), { mimeType: "application/octet-stream", filename: "x.pdf" });
    expect(r.ok).toBe(true);
  });

  it("stops at the page limit and says how many pages were left out", async () => {
    const pdf = makePdf(Array.from({ length: 5 }, (_, i) => [`page ${i + 1} text`]));
    const r = await readDocument(pdf, { filename: "long.pdf" }, { maxBytes: 1e7, maxPages: 2, maxChars: 1e6 });
    if (!r.ok) throw new Error(r.reason);
    expect(r.text).toContain("page 2 text");
    expect(r.text).not.toContain("page 3 text");
    expect(r.text).toContain("[3 more pages not read: the limit is 2 pages]");
    expect(r.truncated).toBe(true);
  });

  it("explains a damaged PDF instead of failing silently", async () => {
    const r = await readDocument(Buffer.from("%PDF-1.4\nthis is not really a pdf"), { filename: "broken.pdf" });
    expect(r).toMatchObject({ ok: false, code: "unreadable" });
    if (r.ok) throw new Error("read");
    expect(r.reason).toBe("I couldn't open broken.pdf: it is damaged or not a PDF.");
  });

  it("reads plain text, Markdown, code, CSV and JSON as they are", async () => {
    for (const [name, mime, body] of [
      ["notes.txt", "text/plain", "just notes"],
      ["README.md", undefined, "# Title\n\n- item"],
      ["main.py", "application/octet-stream", "print('hi')\n"],
      ["data.csv", "text/csv", "a,b\n1,2\n"],
      ["config.json", "application/json", '{"a": 1}'],
    ] as const) {
      const r = await readDocument(Buffer.from(`\ufeff${body}`), { filename: name, ...(mime ? { mimeType: mime } : {}) });
      expect(r, name).toMatchObject({ ok: true, kind: "text", text: body, truncated: false });
    }
  });

  it("cuts long text at the character limit and says so", async () => {
    const r = await readDocument(Buffer.from("x".repeat(500)), { filename: "big.log" }, { maxBytes: 1e6, maxPages: 1, maxChars: 100 });
    if (!r.ok) throw new Error(r.reason);
    expect(r.truncated).toBe(true);
    expect(r.text.startsWith("x".repeat(100) + "\n\n[cut here: the document has 500 characters; the first 100 are shown]")).toBe(true);
  });

  it("answers files it cannot read with one clear line", async () => {
    const cases: [Buffer, { mimeType?: string; filename?: string }, string, string][] = [
      [Buffer.from("PK\u0003\u0004"), { filename: "report.docx" }, "unsupported", "I can't read .docx files yet; send it as a PDF or as plain text."],
      [Buffer.from([0x50, 0x00, 0x01]), { filename: "weird.txt" }, "unreadable", "weird.txt looks like a binary file, not text; send it as a PDF or as plain text."],
      [Buffer.from("  \n"), { filename: "blank.md" }, "empty", "blank.md is empty."],
      [Buffer.alloc(2048, 97), { filename: "huge.txt" }, "too_large", "huge.txt is 2 KB; I read documents up to 1 KB."],
    ];
    for (const [data, meta, code, reason] of cases) {
      const r = await readDocument(data, meta, { maxBytes: code === "too_large" ? 1024 : 1e6, maxPages: 5, maxChars: 1e5 });
      expect(r, meta.filename).toEqual({ ok: false, code, reason });
    }
  });

  it("says a PDF without a text layer has no text, rather than sending nothing", async () => {
    const r = await readDocument(makePdf([[]]), { filename: "scan.pdf" });
    expect(r).toEqual({ ok: false, code: "empty", reason: "scan.pdf has no text layer (a scan?); I can read PDFs with selectable text." });
  });
});
