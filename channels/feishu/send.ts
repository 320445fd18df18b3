// Outbound: one chunk becomes one message. With replyTo it is a reply
// (POST /open-apis/im/v1/messages/{id}/reply, quoted under the user's
// message, in its thread when there is one); when that message was recalled
// or deleted the chunk goes to the chat instead. Otherwise it is sent to the
// chat (POST /open-apis/im/v1/messages?receive_id_type=...). A rich-text body
// Feishu refuses as malformed is sent once more as plain text, so a reply is
// never lost to a formatting slip. A chunk with a file's bytes is uploaded
// first (upload.ts) and sent as a picture, audio or file message, its words
// going just before it as their own message (Feishu files have no caption);
// a file over Feishu's limit becomes a one-line note instead.
import { z } from "zod";
import { ChannelError, type OutboundChunk } from "../../src/core/channel.ts";
import type { Logger } from "../../src/core/logger.ts";
import { CONTENT_REFUSED, FeishuApiError, REPLY_TARGET_GONE, toChannelError } from "./errors.ts";
import { bodyFor, textBody, type OutboundBody } from "./format.ts";
import type { FeishuRest } from "./rest.ts";
import { feishuLimit, isUploadTooLarge, uploadMedia, type MediaBody } from "./upload.ts";
import { fileNameOf, fileNotSentNote, mediaBytes, tooLargeWhy, withNote } from "../../src/media/outbound-files.ts";

const Sent = z.looseObject({
  data: z.looseObject({ message_id: z.string().min(1) }),
});

/** Which id a chat id is: oc_ chats, ou_ users (open_id), on_ users (union_id), emails. */
export function receiveIdType(chatId: string): "chat_id" | "open_id" | "union_id" | "email" {
  if (chatId.startsWith("ou_")) return "open_id";
  if (chatId.startsWith("on_")) return "union_id";
  if (chatId.includes("@")) return "email";
  return "chat_id";
}

/** Feishu refused a rich-text body as malformed: plain text may pass */
function refusedPost(err: unknown, body: OutboundBody | MediaBody): err is FeishuApiError {
  return body.msg_type === "post" && err instanceof FeishuApiError && err.code !== undefined && CONTENT_REFUSED.has(err.code);
}

/** remembers the ids of messages the bot sent, to tell replies to the bot (bounded) */
const SENT_LIMIT = 2_000;

export class FeishuSender {
  private readonly rest: FeishuRest;
  private readonly logger: Logger;
  private readonly sent = new Set<string>();

  constructor(rest: FeishuRest, logger: Logger) {
    this.rest = rest;
    this.logger = logger;
  }

  sentByBot(messageId: string): boolean {
    return this.sent.has(messageId);
  }

  async send(chatId: string, chunk: OutboundChunk): Promise<{ messageId: string }> {
    if (!chatId) throw new ChannelError("permanent", "Feishu: no chat to send to (empty chat id)");
    const media = chunk.media;
    if (media?.data) return this.sendFile(chatId, chunk, { ...media, data: media.data });
    const body = bodyFor(chunk);
    if (!chunk.text.trim() && !chunk.media?.url) throw new ChannelError("permanent", "Feishu refuses empty messages; nothing was sent");
    const id = await this.deliver(chatId, chunk, body).catch(async (err: unknown) => {
      if (!refusedPost(err, body)) throw err;
      this.logger.warn({ code: err.code, err: err.platformMessage }, "Feishu refused the rich-text message; sending it as plain text");
      return this.deliver(chatId, chunk, textBody(chunk.media?.url ? `${chunk.text}\n${chunk.media.url}` : chunk.text));
    });
    return { messageId: this.remember(id) };
  }

  private remember(id: string): string {
    this.sent.add(id);
    if (this.sent.size > SENT_LIMIT) this.sent.delete(this.sent.values().next().value!);
    return id;
  }

  /** upload, then the words (if any), then the file message; too large → the words and a note */
  private async sendFile(chatId: string, chunk: OutboundChunk, media: NonNullable<OutboundChunk["media"]> & { data: string }): Promise<{ messageId: string }> {
    const { media: _file, ...words } = chunk;
    const instead = (why: string) => {
      this.logger.warn({ chatId, file: fileNameOf(media), bytes: mediaBytes(media) }, "Feishu cannot take this file; the chat gets a note instead");
      return this.send(chatId, { ...words, text: withNote(chunk.text, fileNotSentNote(media, why)) });
    };
    if (mediaBytes(media) > feishuLimit(media)) return instead(tooLargeWhy("Feishu", feishuLimit(media)));
    let body: MediaBody;
    try {
      body = await uploadMedia(this.rest, media);
    } catch (err) {
      if (isUploadTooLarge(err)) return instead("Feishu refused it as too large.");
      throw toChannelError(err, `upload ${fileNameOf(media)}`);
    }
    if (chunk.text.trim()) await this.send(chatId, words);
    const { replyTo: _reply, ...after } = chunk;
    return { messageId: this.remember(await this.deliver(chatId, chunk.text.trim() ? after : chunk, body)) };
  }

  private async deliver(chatId: string, chunk: OutboundChunk, body: OutboundBody | MediaBody): Promise<string> {
    if (chunk.replyTo) {
      try {
        return await this.reply(chunk.replyTo, body, Boolean(chunk.threadId));
      } catch (err) {
        if (refusedPost(err, body)) throw err;
        if (!(err instanceof FeishuApiError) || err.code === undefined || !REPLY_TARGET_GONE.has(err.code)) throw toChannelError(err, "reply to a message");
        this.logger.info({ code: err.code }, "the Feishu message being answered is gone; sending to the chat instead");
      }
    }
    return this.create(chatId, body);
  }

  private async reply(messageId: string, body: OutboundBody | MediaBody, inThread: boolean): Promise<string> {
    const path = `/open-apis/im/v1/messages/${encodeURIComponent(messageId)}/reply`;
    const res = await this.rest.call("POST", path, Sent, "reply to a message", { ...body, ...(inThread ? { reply_in_thread: true } : {}) });
    return res.data.message_id;
  }

  private async create(chatId: string, body: OutboundBody | MediaBody): Promise<string> {
    const type = receiveIdType(chatId);
    const what = `send a message to ${chatId}`;
    try {
      const res = await this.rest.call("POST", `/open-apis/im/v1/messages?receive_id_type=${type}`, Sent, what, { receive_id: chatId, ...body });
      return res.data.message_id;
    } catch (err) {
      // a refused post reaches send() unmapped, for the plain-text retry
      if (refusedPost(err, body)) throw err;
      throw toChannelError(err, what);
    }
  }
}
