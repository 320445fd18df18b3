// Documents people send to the bot, turned into text the model can read:
// PDF (through unpdf, PDF.js built for servers, loaded on the first PDF),
// plain text, Markdown, code, CSV, JSON, YAML, XML, HTML and logs. Anything
// else gets a one-line explanation the gateway sends back, so a file is never
// met with silence. Limits keep one document from filling the context window.

export interface DocumentLimits {
  /** largest file read at all (bytes) */
  maxBytes: number;
  /** PDF pages read; the rest are summarised in a note */
  maxPages: number;
  /** characters handed to the model; the rest are cut with a note */
  maxChars: number;
}

export const DEFAULT_DOCUMENT_LIMITS: DocumentLimits = { maxBytes: 10 * 1024 * 1024, maxPages: 50, maxChars: 60_000 };

export type DocumentReading =
  | { ok: true; kind: "pdf" | "text"; text: string; truncated: boolean; pages?: number }
  | { ok: false; code: "unsupported" | "too_large" | "unreadable" | "empty"; reason: string };

const TEXT_EXTENSIONS = new Set(
  "txt md markdown rst org csv tsv json jsonl ndjson yaml yml toml ini cfg conf env xml html htm css log sql sh bash zsh fish ps1 bat js mjs cjs ts tsx jsx py rb go rs java kt kts swift c h cc cpp hpp cs php pl lua r m scala dart ex exs erl hs clj vue svelte tex srt vtt diff patch".split(" "),
);
const TEXT_MIME = /^(text\/|application\/(json|ld\+json|x-ndjson|xml|x-yaml|yaml|toml|javascript|x-sh|sql|csv|x-httpd-php)\b)/i;

export function extensionOf(filename: string | undefined): string {
  const m = /\.([a-z0-9]+)$/i.exec(filename ?? "");
  return m ? m[1]!.toLowerCase() : "";
}

/** which reader a file goes to, from its MIME type and name (platforms often send application/octet-stream) */
export function documentKind(mimeType: string | undefined, filename: string | undefined): "pdf" | "text" | undefined {
  const ext = extensionOf(filename);
  if (/^application\/pdf\b/i.test(mimeType ?? "") || ext === "pdf") return "pdf";
  if (TEXT_MIME.test(mimeType ?? "") || TEXT_EXTENSIONS.has(ext)) return "text";
  return undefined;
}

function describe(filename: string | undefined, mimeType: string | undefined): string {
  const ext = extensionOf(filename);
  return ext ? `.${ext} files` : mimeType ? `${mimeType} files` : "this kind of file";
}

export async function readDocument(
  data: Buffer,
  meta: { mimeType?: string; filename?: string },
  limits: DocumentLimits = DEFAULT_DOCUMENT_LIMITS,
): Promise<DocumentReading> {
  const kind = documentKind(meta.mimeType, meta.filename);
  if (!kind) {
    return { ok: false, code: "unsupported", reason: `I can't read ${describe(meta.filename, meta.mimeType)} yet; send it as a PDF or as plain text.` };
  }
  if (data.length > limits.maxBytes) {
    return { ok: false, code: "too_large", reason: `${meta.filename ?? "That file"} is ${size(data.length)}; I read documents up to ${size(limits.maxBytes)}.` };
  }
  return kind === "pdf" ? readPdf(data, meta.filename, limits) : readText(data, meta.filename, limits);
}

function size(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KB` : `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
}

function readText(data: Buffer, filename: string | undefined, limits: DocumentLimits): DocumentReading {
  // a NUL byte in the first 8 KB: binary, whatever the name says
  if (data.subarray(0, 8192).includes(0)) {
    return { ok: false, code: "unreadable", reason: `${filename ?? "That file"} looks like a binary file, not text; send it as a PDF or as plain text.` };
  }
  const text = new TextDecoder("utf-8", { fatal: false }).decode(data).replace(/^\ufeff/, "");
  if (!text.trim()) return { ok: false, code: "empty", reason: `${filename ?? "That file"} is empty.` };
  return { ok: true, kind: "text", ...cut(text, limits.maxChars) };
}

async function readPdf(data: Buffer, filename: string | undefined, limits: DocumentLimits): Promise<DocumentReading> {
  const name = filename ?? "That PDF";
  let pdf: Awaited<ReturnType<typeof import("unpdf").getDocumentProxy>>;
  try {
    const { getDocumentProxy } = await import("unpdf");
    // PDF.js takes ownership of (and may detach) the buffer it is given
    pdf = await getDocumentProxy(new Uint8Array(data));
  } catch (err) {
    const why = err instanceof Error && /password/i.test(err.message) ? "it is password-protected" : "it is damaged or not a PDF";
    return { ok: false, code: "unreadable", reason: `I couldn't open ${name}: ${why}.` };
  }
  try {
    const pages: string[] = [];
    const readable = Math.min(pdf.numPages, limits.maxPages);
    for (let n = 1; n <= readable; n++) {
      const content = await (await pdf.getPage(n)).getTextContent();
      const line = content.items
        .map((item) => ("str" in item ? item.str + (item.hasEOL ? "\n" : "") : ""))
        .join("")
        .trim();
      pages.push(line);
    }
    const text = pages.map((p, i) => `--- page ${i + 1} ---\n${p}`).join("\n\n");
    if (!pages.some((p) => p.length > 0)) {
      return { ok: false, code: "empty", reason: `${name} has no text layer (a scan?); I can read PDFs with selectable text.` };
    }
    const { text: kept, truncated } = cut(text, limits.maxChars);
    const skipped = pdf.numPages - readable;
    const note = skipped > 0 ? `\n\n[${skipped} more page${skipped === 1 ? "" : "s"} not read: the limit is ${limits.maxPages} pages]` : "";
    return { ok: true, kind: "pdf", text: kept + note, truncated: truncated || skipped > 0, pages: pdf.numPages };
  } finally {
    // ends PDF.js's worker-side state for this document
    await pdf.loadingTask.destroy();
  }
}

function cut(text: string, maxChars: number): { text: string; truncated: boolean } {
  if (text.length <= maxChars) return { text, truncated: false };
  return { text: `${text.slice(0, maxChars)}\n\n[cut here: the document has ${text.length.toLocaleString("en")} characters; the first ${maxChars.toLocaleString("en")} are shown]`, truncated: true };
}

/** how a document reaches the model inside the user's message */
export function documentBlock(filename: string | undefined, reading: Extract<DocumentReading, { ok: true }>): string {
  const label = filename ?? (reading.kind === "pdf" ? "document.pdf" : "document.txt");
  const pages = reading.pages ? `, ${reading.pages} page${reading.pages === 1 ? "" : "s"}` : "";
  return `[attached file: ${label}${pages}]\n${reading.text}\n[end of ${label}]`;
}
