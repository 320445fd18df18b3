// Outbound: one chunk becomes one sendMessage (or a media send with a
// caption). Markdown goes out as Telegram HTML; when Telegram rejects the
// markup the chunk is sent once more as plain text, so a reply is never lost
// to a formatting slip. Files go as sendDocument, audio as sendAudio (MP3,
// M4A) or sendVoice (OGG/Opus), multipart with the file's own name; one over
// the bot upload limit (50 MB), or one Telegram answers 413 to, becomes a
// one-line note in the chat, with the chunk's text still delivered.
import { InputFile } from "grammy";
import type { OutboundChunk } from "../../src/core/channel.ts";
import type { Logger } from "../../src/core/logger.ts";
import { baseMime, fileNameOf, fileNotSentNote, mediaBytes, tooLargeWhy, withNote } from "../../src/media/outbound-files.ts";
import { apiErrorOf, toChannelError, type TelegramClient } from "./client.ts";
import { markdownToTelegramHtml, visibleLength } from "./format.ts";

export const MAX_TEXT = 4096;
export const MAX_CAPTION = 1024;
/** what the cloud Bot API takes as a multipart upload (sendDocument, sendAudio, ...) */
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

type ChatId = number | string;

export interface Body {
  /** what Telegram shows, with parse_mode when `html` */
  text: string;
  html: boolean;
  /** the same words without markup, for the retry */
  plain: string;
}

export function toChatId(chatId: string): ChatId {
  return /^-?\d+$/.test(chatId) ? Number(chatId) : chatId;
}

/** message and thread ids are positive integers; anything else is left out rather than sent as NaN */
function isId(v: string | undefined): v is string {
  return v !== undefined && /^\d+$/.test(v);
}

export function bodyOf(chunk: OutboundChunk): Body {
  if (chunk.format !== "markdown") return { text: chunk.text, html: false, plain: chunk.text };
  const plain = chunk.text.length > MAX_TEXT ? `${chunk.text.slice(0, MAX_TEXT - 1)}…` : chunk.text;
  return { text: markdownToTelegramHtml(chunk.text), html: true, plain };
}

export function isMarkupRejection(err: unknown): boolean {
  const api = apiErrorOf(err);
  return api?.code === 400 && /can't parse entities|can't find end tag|unsupported start tag|unclosed/i.test(api.description);
}

/** Telegram answered 413 to an upload: the file goes as a note instead */
class UploadTooLarge extends Error {}

export class TelegramSender {
  private readonly client: TelegramClient;
  private readonly logger: Logger;

  constructor(client: TelegramClient, logger: Logger) {
    this.client = client;
    this.logger = logger;
  }

  async send(chatId: string, chunk: OutboundChunk): Promise<{ messageId: string }> {
    const chat = toChatId(chatId);
    const extra = {
      ...(isId(chunk.threadId) ? { message_thread_id: Number(chunk.threadId) } : {}),
      ...(isId(chunk.replyTo) ? { reply_parameters: { message_id: Number(chunk.replyTo), allow_sending_without_reply: true } } : {}),
    };
    const body = bodyOf(chunk);
    const media = chunk.media && (chunk.media.data || chunk.media.url) ? chunk.media : undefined;
    if (!media) return { messageId: String(await this.sendText(chat, body, extra)) };

    if (mediaBytes(media) > MAX_UPLOAD_BYTES) return this.sendInstead(chat, chunk, media, tooLargeWhy("Telegram", MAX_UPLOAD_BYTES), extra);
    const captionFits = body.text.trim() !== "" && (body.html ? visibleLength(body.text) : body.text.length) <= MAX_CAPTION && body.text.length <= 4 * MAX_CAPTION;
    let mediaId: number;
    try {
      mediaId = await this.sendMedia(chat, media, captionFits ? body : undefined, extra);
    } catch (err) {
      // Telegram's own size check (413; e.g. a Bot API server with a lower limit)
      if (!(err instanceof UploadTooLarge)) throw err;
      return this.sendInstead(chat, chunk, media, "Telegram refused it as too large.", extra);
    }
    if (captionFits || !body.text.trim()) return { messageId: String(mediaId) };
    // the words did not fit a caption: they follow as their own message
    const { reply_parameters: _reply, ...threadOnly } = extra;
    return { messageId: String(await this.sendText(chat, body, threadOnly)) };
  }

  /** the chunk's text and a note saying why its file is missing, as one message */
  private async sendInstead(chat: ChatId, chunk: OutboundChunk, media: NonNullable<OutboundChunk["media"]>, why: string, extra: object): Promise<{ messageId: string }> {
    const note = fileNotSentNote(media, why);
    this.logger.warn({ chat, file: fileNameOf(media), bytes: mediaBytes(media) }, "Telegram cannot take this file; the chat gets a note instead");
    return { messageId: String(await this.sendText(chat, bodyOf({ ...chunk, text: withNote(chunk.text, note) }), extra)) };
  }

  async typing(chatId: string, threadId?: string): Promise<void> {
    try {
      await this.client.call("sendChatAction", { chat_id: toChatId(chatId), action: "typing", ...(isId(threadId) ? { message_thread_id: Number(threadId) } : {}) });
    } catch (err) {
      throw toChannelError(err, "sendChatAction", this.client.redact);
    }
  }

  private async sendText(chat: ChatId, body: Body, extra: object): Promise<number> {
    // the payload grammy's sendMessage(chat, text, other) would build, in its key order
    const rich = () => this.client.call<{ message_id: number }>("sendMessage", { chat_id: chat, text: body.text, ...extra, ...(body.html ? { parse_mode: "HTML" } : {}) });
    const plain = () => this.client.call<{ message_id: number }>("sendMessage", { chat_id: chat, text: body.plain, ...extra });
    return (await this.withPlainRetry("sendMessage", body.html, rich, plain)).message_id;
  }

  private async sendMedia(chat: ChatId, media: NonNullable<OutboundChunk["media"]>, caption: Body | undefined, extra: object): Promise<number> {
    const input = media.data ? new InputFile(Buffer.from(media.data, "base64"), fileNameOf(media)) : media.url!;
    const withCaption = (plain: boolean) => ({
      ...extra,
      ...(caption ? { caption: plain ? caption.plain.slice(0, MAX_CAPTION) : caption.text } : {}),
      ...(caption?.html && !plain ? { parse_mode: "HTML" as const } : {}),
    });
    const api = this.client.api;
    const method = mediaMethod(media);
    const call = async (plain: boolean): Promise<{ message_id: number }> => {
      const o = withCaption(plain);
      try {
        if (method === "sendPhoto") return await api.sendPhoto(chat, input, o);
        if (method === "sendVoice") return await api.sendVoice(chat, input, o);
        if (method === "sendAudio") return await api.sendAudio(chat, input, o);
        return await api.sendDocument(chat, input, o);
      } catch (err) {
        if (apiErrorOf(err)?.code === 413) throw new UploadTooLarge();
        throw err;
      }
    };
    return (await this.withPlainRetry(method, caption?.html === true, () => call(false), () => call(true))).message_id;
  }

  private async withPlainRetry<T>(method: string, html: boolean, rich: () => Promise<T>, plain: () => Promise<T>): Promise<T> {
    try {
      return await rich();
    } catch (err) {
      if (err instanceof UploadTooLarge) throw err;
      if (!html || !isMarkupRejection(err)) throw toChannelError(err, method, this.client.redact);
      this.logger.warn({ method, err: apiErrorOf(err)?.description }, "Telegram rejected the HTML; sending as plain text");
    }
    try {
      return await plain();
    } catch (err) {
      if (err instanceof UploadTooLarge) throw err;
      throw toChannelError(err, method, this.client.redact);
    }
  }
}

/**
 * Which Bot API method carries the media: sendAudio plays only MP3 and M4A,
 * sendVoice only OGG/Opus; other audio (WAV, FLAC) goes as a document.
 */
export function mediaMethod(media: Pick<NonNullable<OutboundChunk["media"]>, "kind" | "mimeType">): "sendPhoto" | "sendVoice" | "sendAudio" | "sendDocument" {
  if (media.kind === "image") return "sendPhoto";
  if (media.kind !== "audio") return "sendDocument";
  const mime = baseMime(media.mimeType);
  if (/ogg|opus/.test(mime)) return "sendVoice";
  if (mime === "audio/mpeg" || mime === "audio/mp3" || mime === "audio/mp4" || mime === "audio/x-m4a" || mime === "audio/m4a") return "sendAudio";
  return "sendDocument";
}
