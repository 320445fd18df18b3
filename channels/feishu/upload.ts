// Files and pictures to Feishu: the bytes are uploaded first (POST
// /open-apis/im/v1/images for pictures, /open-apis/im/v1/files for the rest,
// multipart), and the key Feishu returns is sent as an image, audio or file
// message. Feishu plays only Opus audio as an audio message (file_type
// "opus"); other audio arrives as a file to download. Limits: pictures 10 MB,
// files 30 MB, no empty files.
import { z } from "zod";
import type { OutboundChunk } from "../../src/core/channel.ts";
import { baseMime, fileNameOf, mediaBytes } from "../../src/media/outbound-files.ts";
import { extensionOf } from "../../src/media/documents.ts";
import { FeishuApiError } from "./errors.ts";
import type { FeishuRest } from "./rest.ts";

export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
export const MAX_FILE_BYTES = 30 * 1024 * 1024;

/** Feishu's codes for an upload it refuses as too large (files, images) */
const TOO_LARGE_CODES = new Set([234006, 234011]);

export interface MediaBody {
  msg_type: "image" | "audio" | "file";
  content: string;
}

type Media = NonNullable<OutboundChunk["media"]>;

const ImageUploaded = z.looseObject({ data: z.looseObject({ image_key: z.string().min(1) }) });
const FileUploaded = z.looseObject({ data: z.looseObject({ file_key: z.string().min(1) }) });

/** The im/v1/files file_type for a file: its own kind where Feishu has one, else "stream". */
export function feishuFileType(media: Pick<Media, "mimeType" | "filename" | "kind">): "opus" | "pdf" | "doc" | "xls" | "ppt" | "stream" {
  const mime = baseMime(media.mimeType);
  if (media.kind === "audio" && (/opus/i.test(media.mimeType) || mime === "audio/ogg" || mime === "audio/opus")) return "opus";
  const ext = extensionOf(media.filename);
  if (mime === "application/pdf" || ext === "pdf") return "pdf";
  if (/^(docx?|odt|rtf)$/.test(ext) || mime === "application/msword" || mime.includes("wordprocessingml")) return "doc";
  if (/^(xlsx?|ods)$/.test(ext) || mime === "application/vnd.ms-excel" || mime.includes("spreadsheetml")) return "xls";
  if (/^(pptx?|odp)$/.test(ext) || mime === "application/vnd.ms-powerpoint" || mime.includes("presentationml")) return "ppt";
  return "stream";
}

/** The size Feishu would take for this media, in bytes. */
export function feishuLimit(media: Pick<Media, "kind">): number {
  return media.kind === "image" ? MAX_IMAGE_BYTES : MAX_FILE_BYTES;
}

export function isUploadTooLarge(err: unknown): boolean {
  return err instanceof FeishuApiError && ((err.code !== undefined && TOO_LARGE_CODES.has(err.code)) || err.status === 413);
}

/** Uploads the media's bytes and returns the message body that shows it. Throws FeishuApiError. */
export async function uploadMedia(rest: FeishuRest, media: Media & { data: string }): Promise<MediaBody> {
  const data = Buffer.from(media.data, "base64");
  const name = fileNameOf(media);
  const blob = new Blob([data], { type: baseMime(media.mimeType) });
  if (media.kind === "image") {
    const form = new FormData();
    form.append("image_type", "message");
    form.append("image", blob, name);
    const res = await rest.call("POST", "/open-apis/im/v1/images", ImageUploaded, `upload the picture ${name}`, form);
    return { msg_type: "image", content: JSON.stringify({ image_key: res.data.image_key }) };
  }
  const fileType = feishuFileType(media);
  const form = new FormData();
  form.append("file_type", fileType);
  form.append("file_name", name);
  // without a duration Feishu shows the voice message without its length
  const ms = fileType === "opus" ? oggDurationMs(data) : undefined;
  if (ms !== undefined) form.append("duration", String(ms));
  form.append("file", blob, name);
  const res = await rest.call("POST", "/open-apis/im/v1/files", FileUploaded, `upload the file ${name} (${mediaBytes(media)} bytes)`, form);
  return { msg_type: fileType === "opus" ? "audio" : "file", content: JSON.stringify({ file_key: res.data.file_key }) };
}

/**
 * An Ogg Opus file's length: the granule position of its last page counts
 * 48 kHz samples (Opus always uses that clock), minus the pre-skip in the
 * OpusHead packet. Undefined when the bytes do not parse.
 */
export function oggDurationMs(data: Buffer): number | undefined {
  const last = data.lastIndexOf("OggS");
  const head = data.indexOf("OpusHead");
  if (last < 0 || last + 14 > data.length) return undefined;
  const granule = data.readBigInt64LE(last + 6);
  const preSkip = head >= 0 && head + 12 <= data.length ? data.readUInt16LE(head + 10) : 0;
  const samples = Number(granule) - preSkip;
  return samples > 0 ? Math.round(samples / 48) : undefined;
}
