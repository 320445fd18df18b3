// What native send() hands baileys' sendMessage for one chunk, and what its
// failures mean for the outbox.
//   text           → { text }
//   image          → { image, caption, mimetype }
//   audio          → { audio, mimetype, ptt } (ptt for ogg/opus: shown as a voice note);
//                    text, if any, goes first as its own message (audio has no caption)
//   file           → { document, mimetype, fileName, caption }
// Media bytes come from base64 `data`, or baileys fetches `url` itself.
// Over WhatsApp's limits (16 MB for pictures and audio, 100 MB for
// documents) the chat gets the words and a one-line note instead.
import { ChannelError, type OutboundChunk } from "../../src/core/channel.ts";
import { fileNameOf, fileNotSentNote, mediaBytes, tooLargeWhy, withNote } from "../../src/media/outbound-files.ts";
import { markdownToWhatsApp } from "./format.ts";

export interface PlannedSend {
  /** sent first, its id not reported (text before an audio) */
  lead?: Record<string, unknown>;
  main: Record<string, unknown>;
  truncated: boolean;
}

export const MAX_MEDIA_BYTES = 16 * 1024 * 1024;
export const MAX_DOCUMENT_BYTES = 100 * 1024 * 1024;

export function planSend(chunk: OutboundChunk, maxTextLength: number): PlannedSend {
  const body = chunk.format === "markdown" ? markdownToWhatsApp(chunk.text) : chunk.text;
  const text = body.length > maxTextLength ? body.slice(0, maxTextLength) : body;
  const truncated = text.length < body.length;
  const media = chunk.media;
  const source = media?.data ? Buffer.from(media.data, "base64") : media?.url ? { url: media.url } : undefined;
  if (!media || !source) {
    if (!text.trim()) throw new ChannelError("permanent", "refusing to send an empty WhatsApp message (no text and no media)");
    return { main: { text }, truncated };
  }
  const limit = media.kind === "file" ? MAX_DOCUMENT_BYTES : MAX_MEDIA_BYTES;
  if (mediaBytes(media) > limit) return { main: { text: withNote(text, fileNotSentNote(media, tooLargeWhy("WhatsApp", limit))) }, truncated };
  const caption = text.trim() ? { caption: text } : {};
  switch (media.kind) {
    case "image":
      return { main: { image: source, mimetype: media.mimeType, ...caption }, truncated };
    case "audio": {
      const ptt = /ogg|opus/i.test(media.mimeType);
      return { ...(text.trim() ? { lead: { text } } : {}), main: { audio: source, mimetype: media.mimeType, ptt }, truncated };
    }
    default:
      return { main: { document: source, mimetype: media.mimeType, fileName: fileNameOf(media), ...caption }, truncated };
  }
}

/**
 * A failed sendMessage for the outbox: 429 → rate_limited (WhatsApp names no
 * wait; 30 s), 401 (the device was logged out) → auth, refusals a retry
 * cannot fix (400, 403 not allowed in that chat, 404, 406) → permanent,
 * everything else (closed connection, timeouts) → transient.
 */
export function mapSendError(err: unknown, jid: string): Error {
  const e = (typeof err === "object" && err !== null ? err : {}) as { output?: { statusCode?: unknown }; message?: unknown; data?: unknown };
  const status = typeof e.output?.statusCode === "number" ? e.output.statusCode : undefined;
  const message = typeof e.message === "string" && e.message ? e.message.slice(0, 200) : String(err);
  if (status === 429) return new ChannelError("rate_limited", `WhatsApp rate limit while sending to ${jid}: ${message}`, { retryAfterMs: 30_000 });
  if (status === 401) {
    return new ChannelError(
      "auth",
      `WhatsApp no longer accepts this linked device (${message}, 401): pair again with \`switchboard channels login whatsapp\` (credentials live in channels.whatsapp.session_store_path)`,
    );
  }
  if (status === 400 || status === 403 || status === 404 || status === 406) {
    const hint = status === 403 ? " (the bot may not post in that chat, e.g. it left the group or only admins may write)" : "";
    return new ChannelError("permanent", `WhatsApp refused the message to ${jid}: ${message} (${status})${hint}`);
  }
  return new ChannelError("transient", `WhatsApp could not send to ${jid}: ${message}${status !== undefined ? ` (${status})` : ""}; the message will be retried`);
}
