// Sending one chunk: always a passive reply (msg_id + msg_seq) to a message
// the chat sent, see replies.ts. Text goes as msg_type 0. An image goes
// through QQ's rich-media upload (POST /v2/{users|groups}/{id}/files with
// srv_send_msg false → file_info) and then as msg_type 7; voice only in the
// formats QQ plays (SILK, AMR); other media are linked in the text when they
// have a URL. QQ's upload has a file type for generic files (4) that is not
// open to bots, so a document, or audio in another format, reaches the chat
// as the chunk's words and a one-line note saying why the file is missing.
//
// Outcomes beyond success: a duplicate msg_seq (40054005) on a retried seq
// means the earlier attempt did arrive, so it counts as delivered; a
// duplicate on a fresh seq moves on to the next seq once; "accepted, waiting
// for review" (304023/304024) counts as delivered; a refusal because of an
// unregistered URL is sent once more with the URLs defanged.
import { ChannelError, type OutboundChunk } from "../../src/core/channel.ts";
import type { Logger } from "../../src/core/logger.ts";
import { fileNameOf, fileNotSentNote, withNote } from "../../src/media/outbound-files.ts";
import { ACCEPTED_FOR_REVIEW, DUPLICATE_SEQ, QqApiError, URL_NOT_ALLOWED, toChannelError } from "./errors.ts";
import { defangUrls, markdownToPlain } from "./format.ts";
import { textHash, type ReplyBook, type ReplyTarget } from "./replies.ts";
import type { QqRest } from "./rest.ts";
import { SendResult, UploadResult } from "./schema.ts";
import { QqCredentialsRejected } from "./token.ts";

const FILE_TYPE = { image: 1, video: 2, voice: 3 } as const;

type Body = { content: string; msg_type: 0 | 7; media?: { file_info: string } };

export class QqSender {
  private readonly rest: QqRest;
  private readonly book: ReplyBook;
  private readonly log: Logger;

  constructor(opts: { rest: QqRest; book: ReplyBook; logger: Logger }) {
    this.rest = opts.rest;
    this.book = opts.book;
    this.log = opts.logger;
  }

  async send(chatId: string, chunk: OutboundChunk): Promise<{ messageId: string }> {
    const target = this.book.pick(chatId, chunk.replyTo);
    if (!target) {
      throw new ChannelError("permanent", `QQ chat ${chatId} has no received message to answer: QQ bots can only reply to a message (within 60 min in direct chats, 5 min in groups); proactive messages are no longer delivered since April 2025`);
    }
    let text = chunk.format === "markdown" ? markdownToPlain(chunk.text) : chunk.text;
    text = text.replace(/\s+$/, "");
    const body = chunk.media ? await this.mediaBody(target, chunk.media, text) : { content: text, msg_type: 0 as const };
    if (!body.content.trim() && !body.media) throw new ChannelError("permanent", `QQ refuses empty messages (chat ${chatId})`);
    return this.post(target, body);
  }

  private path(t: ReplyTarget, what: "messages" | "files"): string {
    return `/v2/${t.kind === "user" ? "users" : "groups"}/${encodeURIComponent(t.chatId)}/${what}`;
  }

  private describe(t: ReplyTarget): string {
    return `send a message to QQ ${t.kind === "user" ? "user" : "group"} ${t.chatId}`;
  }

  private async post(target: ReplyTarget, first: Body): Promise<{ messageId: string }> {
    let body = first;
    let defanged = false;
    let freshSeqTries = 0;
    for (;;) {
      const hash = textHash(JSON.stringify(body));
      const { seq, retry } = await this.book.begin(target, hash);
      try {
        const res = await this.rest.call("POST", this.path(target, "messages"), SendResult, this.describe(target), {
          ...body,
          msg_id: target.msgId,
          msg_seq: seq,
        });
        await this.book.settle(target.msgId, seq);
        return { messageId: res.id };
      } catch (err) {
        if (!(err instanceof QqApiError) || err instanceof QqCredentialsRejected) throw toChannelError(err, this.describe(target));
        if (err.code === DUPLICATE_SEQ) {
          await this.book.settle(target.msgId, seq);
          if (retry) {
            this.log.info({ chatId: target.chatId, msgSeq: seq }, "QQ already has this reply (an earlier attempt arrived); not sending it twice");
            return { messageId: `${target.msgId}#${seq}` };
          }
          if (freshSeqTries++ < 1) continue;
        } else if (err.code !== undefined && ACCEPTED_FOR_REVIEW.has(err.code)) {
          await this.book.settle(target.msgId, seq);
          this.log.info({ chatId: target.chatId, code: err.code }, "QQ accepted the reply and holds it for review");
          return { messageId: `${target.msgId}#${seq}` };
        } else if (err.code !== undefined && URL_NOT_ALLOWED.has(err.code) && !defanged && body.msg_type === 0) {
          await this.book.settle(target.msgId, seq);
          const content = defangUrls(body.content);
          if (content !== body.content) {
            this.log.warn({ chatId: target.chatId }, "QQ refused a URL that is not registered for this bot; sending the reply with the links written out instead");
            body = { ...body, content };
            defanged = true;
            continue;
          }
        } else if (!err.ambiguous) {
          await this.book.settle(target.msgId, seq);
        }
        throw toChannelError(err, this.describe(target));
      }
    }
  }

  private async mediaBody(target: ReplyTarget, media: NonNullable<OutboundChunk["media"]>, text: string): Promise<Body> {
    const mime = media.mimeType.toLowerCase();
    const fileType =
      media.kind === "image"
        ? FILE_TYPE.image
        : media.kind === "audio" && /silk|amr/.test(mime)
          ? FILE_TYPE.voice
          : mime.startsWith("video/mp4")
            ? FILE_TYPE.video
            : undefined;
    if (fileType === undefined) {
      if (media.url) return { content: [text, media.url].filter(Boolean).join("\n"), msg_type: 0 };
      const why = media.kind === "audio" ? "QQ plays voice only in SILK or AMR format." : "QQ bots cannot send files (only pictures, MP4 video and SILK voice).";
      this.log.info({ chatId: target.chatId, file: fileNameOf(media) }, "QQ cannot take this file; the chat gets a note instead");
      return { content: withNote(text, fileNotSentNote(media, why)), msg_type: 0 };
    }
    const source = media.url ? { url: media.url } : media.data ? { file_data: media.data } : undefined;
    if (!source) throw new ChannelError("permanent", `the ${media.kind} for QQ chat ${target.chatId} has neither data nor a URL`);
    const what = `upload a ${media.kind} for QQ ${target.kind} ${target.chatId}`;
    let uploaded: { file_info: string };
    try {
      uploaded = await this.rest.call("POST", this.path(target, "files"), UploadResult, what, { file_type: fileType, srv_send_msg: false, ...source });
    } catch (err) {
      throw toChannelError(err, what);
    }
    // QQ wants some content with msg_type 7; a space does
    return { content: text || " ", msg_type: 7, media: { file_info: uploaded.file_info } };
  }
}
