// OutboundChunk → the JSON body (and files) of POST /channels/{id}/messages.
// - content: Discord renders markdown itself, so markdown and plain text are
//   sent as written; over 2000 characters is cut with "…" (the gateway's
//   chunker should never let that happen);
// - allowed_mentions {parse: [], replied_user: false}: whatever the model
//   writes, the bot never pings @everyone, roles, users, or the person it
//   replies to;
// - message_reference with fail_if_not_exists false: a reply to a deleted
//   message is still posted, just without the reply link;
// - media with base64 `data` is uploaded as files[0]; media with only a URL
//   is linked on its own line (Discord unfurls it), never fetched here.

import { ChannelError, type OutboundChunk } from "../../src/core/channel.ts";
import { fileNameOf } from "../../src/media/outbound-files.ts";

/** @discordjs/rest's RawFile */
export interface OutgoingFile {
  name: string;
  data: Buffer;
  contentType?: string;
}

export interface MessageBody {
  content: string;
  allowed_mentions: { parse: never[]; replied_user: boolean };
  message_reference?: { message_id: string; fail_if_not_exists: boolean };
  attachments?: { id: number; filename: string }[];
}

export function buildMessageBody(
  chunk: OutboundChunk,
  maxLength: number,
): { body: MessageBody; files: OutgoingFile[]; truncated: boolean } {
  let content = chunk.text;
  const files: OutgoingFile[] = [];
  const media = chunk.media;
  if (media?.data) {
    const name = fileNameOf(media);
    files.push({ name, data: Buffer.from(media.data, "base64"), contentType: media.mimeType });
  } else if (media?.url) {
    content = content ? `${content}\n${media.url}` : media.url;
  }
  const truncated = content.length > maxLength;
  if (truncated) {
    let cut = maxLength - 1;
    const last = content.charCodeAt(cut - 1);
    if (last >= 0xd800 && last <= 0xdbff) cut--; // never split a surrogate pair
    content = `${content.slice(0, cut)}…`;
  }
  if (!content.trim() && files.length === 0) {
    // Discord answers 50006 to an empty message; say so without the round trip
    throw new ChannelError("permanent", "Discord cannot post an empty message (no text and no file)");
  }
  const body: MessageBody = {
    content,
    allowed_mentions: { parse: [], replied_user: false },
    ...(chunk.replyTo ? { message_reference: { message_id: chunk.replyTo, fail_if_not_exists: false } } : {}),
    ...(files.length ? { attachments: files.map((f, i) => ({ id: i, filename: f.name })) } : {}),
  };
  return { body, files, truncated };
}
