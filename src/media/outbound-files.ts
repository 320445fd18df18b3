// Files the agent sends to a chat (documents, audio): what they are (MIME
// type from the bytes first, the file name second), what they are called when
// the tool gave no name, how big they are without decoding them, and the one
// line a chat gets instead when its platform cannot take a file. Every channel
// uses these, so "too large" and "not supported" read the same everywhere.
import type { OutboundChunk } from "../core/channel.ts";
import { extensionOf } from "./documents.ts";

export type OutboundMedia = NonNullable<OutboundChunk["media"]>;

/** MIME types by extension, for files whose bytes carry no signature (text, CSV, JSON, Office XML inside a zip). */
const BY_EXTENSION: Record<string, string> = {
  pdf: "application/pdf",
  txt: "text/plain",
  md: "text/markdown",
  markdown: "text/markdown",
  csv: "text/csv",
  tsv: "text/tab-separated-values",
  json: "application/json",
  jsonl: "application/x-ndjson",
  yaml: "application/yaml",
  yml: "application/yaml",
  xml: "application/xml",
  html: "text/html",
  htm: "text/html",
  log: "text/plain",
  ics: "text/calendar",
  zip: "application/zip",
  gz: "application/gzip",
  tar: "application/x-tar",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  doc: "application/msword",
  xls: "application/vnd.ms-excel",
  ppt: "application/vnd.ms-powerpoint",
  odt: "application/vnd.oasis.opendocument.text",
  epub: "application/epub+zip",
  mp3: "audio/mpeg",
  m4a: "audio/mp4",
  aac: "audio/aac",
  ogg: "audio/ogg",
  oga: "audio/ogg",
  opus: "audio/ogg; codecs=opus",
  wav: "audio/wav",
  flac: "audio/flac",
  amr: "audio/amr",
  silk: "audio/silk",
  mp4: "video/mp4",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
};

const EXTENSION_OF: Record<string, string> = {
  "application/pdf": "pdf",
  "text/plain": "txt",
  "text/markdown": "md",
  "text/csv": "csv",
  "application/json": "json",
  "application/zip": "zip",
  "audio/mpeg": "mp3",
  "audio/mp4": "m4a",
  "audio/ogg": "ogg",
  "audio/wav": "wav",
  "audio/flac": "flac",
  "audio/amr": "amr",
  "audio/silk": "silk",
  "video/mp4": "mp4",
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/gif": "gif",
  "image/webp": "webp",
};

function starts(data: Buffer, text: string, at = 0): boolean {
  return data.length >= at + text.length && data.toString("latin1", at, at + text.length) === text;
}

/** The type the bytes declare by their signature; undefined for formats without one (plain text). */
export function sniffMime(data: Buffer): string | undefined {
  if (starts(data, "%PDF-")) return "application/pdf";
  if (starts(data, "\x89PNG\r\n\x1a\n")) return "image/png";
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return "image/jpeg";
  if (starts(data, "GIF87a") || starts(data, "GIF89a")) return "image/gif";
  if (starts(data, "RIFF") && starts(data, "WEBP", 8)) return "image/webp";
  if (starts(data, "RIFF") && starts(data, "WAVE", 8)) return "audio/wav";
  // Ogg pages: an Opus stream names its codec in the first packet
  if (starts(data, "OggS")) return data.subarray(0, 64).includes("OpusHead") ? "audio/ogg; codecs=opus" : "audio/ogg";
  if (starts(data, "fLaC")) return "audio/flac";
  if (starts(data, "ID3") || (data.length >= 2 && data[0] === 0xff && (data[1]! & 0xe0) === 0xe0 && (data[1]! & 0x06) !== 0)) return "audio/mpeg";
  if (starts(data, "#!AMR")) return "audio/amr";
  if (starts(data, "#!SILK") || starts(data, "\x02#!SILK")) return "audio/silk";
  if (starts(data, "ftyp", 4)) return /^M4A |^M4B /.test(data.toString("latin1", 8, 12)) ? "audio/mp4" : "video/mp4";
  if (starts(data, "PK\x03\x04")) return "application/zip";
  return undefined;
}

/**
 * The MIME type of a file the agent sends: the signature in its bytes when
 * there is one (a misnamed file is sent as what it is), refined by the
 * extension for zip-based formats (.docx is a zip), else the extension, else
 * text/plain for valid UTF-8 without control bytes, else octet-stream.
 */
export function detectMime(data: Buffer, filename: string): string {
  const sniffed = sniffMime(data);
  const byName = BY_EXTENSION[extensionOf(filename)];
  if (sniffed === "application/zip" && byName) return byName;
  if (sniffed) return sniffed;
  if (byName) return byName;
  return looksLikeText(data) ? "text/plain" : "application/octet-stream";
}

function looksLikeText(data: Buffer): boolean {
  const head = data.subarray(0, 8192);
  if (head.includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(head.length === data.length ? head : head.subarray(0, head.length - 4));
    return true;
  } catch {
    return false;
  }
}

/** "audio" for sound, "image" for pictures, "file" for everything else. */
export function mediaKindOf(mimeType: string): OutboundMedia["kind"] {
  if (mimeType.startsWith("audio/")) return "audio";
  if (mimeType.startsWith("image/")) return "image";
  return "file";
}

/** The MIME type without parameters, lower-cased ("audio/ogg; codecs=opus" → "audio/ogg"). */
export function baseMime(mimeType: string): string {
  return mimeType.split(";")[0]!.trim().toLowerCase();
}

/** The file name a chat shows: the one the tool gave, else kind + extension ("audio.mp3"). */
export function fileNameOf(media: Pick<OutboundMedia, "kind" | "mimeType" | "filename">): string {
  if (media.filename) return media.filename;
  const mime = baseMime(media.mimeType);
  const ext = EXTENSION_OF[mime] ?? (mime.split("/")[1]?.replace(/[^a-z0-9]/gi, "") || "bin");
  return `${media.kind}.${ext}`;
}

/** Decoded size of the media's base64 data without decoding it; 0 when it has none. */
export function mediaBytes(media: Pick<OutboundMedia, "data">): number {
  const b64 = media.data;
  if (!b64) return 0;
  const pad = b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0;
  return Math.floor((b64.length * 3) / 4) - pad;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, "")} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

/**
 * The line a chat gets instead of a file its platform will not take, e.g.
 * `📎 report.pdf (60 MB) was not sent: Telegram bots can send files up to 50 MB.`
 * `why` completes the sentence after the colon.
 */
export function fileNotSentNote(media: OutboundMedia, why: string): string {
  const size = mediaBytes(media);
  return `📎 ${fileNameOf(media)}${size ? ` (${formatBytes(size)})` : ""} was not sent: ${why}`;
}

/** `why` for a file over a platform's limit. */
export function tooLargeWhy(platform: string, limitBytes: number): string {
  return `${platform} takes files up to ${formatBytes(limitBytes)}.`;
}

/** The chunk's own text followed by the note, for a platform that gets text instead of the file. */
export function withNote(text: string, note: string): string {
  return text.trim() ? `${text.trim()}\n\n${note}` : note;
}
