// A discord.js Message → InboundMessage. Decisions made here:
// - messages by bots (this one included), webhooks and system messages
//   (pins, joins, thread-created notices) are dropped, as are messages with
//   neither text nor attachments;
// - DMs are chatType "direct", everything in a guild is "group"; chatId is
//   always the channel the message was posted in. A thread is its own
//   channel on Discord, so a thread's chatId is the thread's id and threadId
//   repeats it (the parent channel is not used): each thread is its own
//   conversation, and replies go to the thread by posting to that id;
// - mentioned: the content @-mentions the bot user (<@id> or <@!id>) or the
//   bot's managed role (<@&id>). A reply to the bot (which Discord also lists
//   in `mentions` when it pings) sets replyToBot, not mentioned. Whether a
//   group message is for the bot is the gateway's decision, so unmentioned
//   group messages are still emitted;
// - text: the bot's own mention removed and trimmed; other user, role and
//   channel mentions become @name / #name so the model can read them;
// - attachments: audio/* → "voice" when the message is a voice message
//   (flag 1<<13, audio/ogg), else "audio"; image/* → "image"; video/* →
//   "video"; anything else → "file". Bytes are fetched on demand;
// - a reply (message_reference of type DEFAULT) carries the replied-to
//   message's text and author when Discord sent it along (referenced_message,
//   which discord.js puts in the channel's cache); a forward (type FORWARD)
//   has no content of its own: its text and files are the snapshot's, and
//   where it came from is the source channel's name when the bot can see it
//   (a snapshot carries no author).
import type { Attachment, Message } from "discord.js";
import type { InboundMedia, InboundMessage } from "../../src/core/channel.ts";

/** MessageFlags.IsVoiceMessage */
const VOICE_MESSAGE = 1 << 13;
/** MessageReferenceType.Forward */
const FORWARD = 1;

export interface NormalizeContext {
  botId: string;
  /** downloads one attachment (size-capped) */
  download: (url: string, name: string, reportedSize: number) => Promise<Buffer>;
}

export function normalizeMessage(message: Message, ctx: NormalizeContext): InboundMessage | null {
  const author = message.author;
  if (!author || author.bot || author.id === ctx.botId || message.webhookId || message.system) return null;
  const channel = message.channel;
  if (!channel) return null;

  const botRoleId = message.guild?.roles.botRoleFor(ctx.botId)?.id;
  const mentionRe = new RegExp(`<@!?${ctx.botId}>${botRoleId ? `|<@&${botRoleId}>` : ""}`, "g");
  const forwarded = message.reference?.type === FORWARD ? message.messageSnapshots?.first() : undefined;
  const content = (forwarded ? forwarded.content : message.content) ?? "";
  const mentioned = !forwarded && mentionRe.test(content);
  const stripped = content.replace(new RegExp(`[ \\t]*(?:${mentionRe.source})[ \\t]*`, "g"), " ");
  const text = readableMentions(stripped, message).trim();

  const voice = (message.flags.bitfield & VOICE_MESSAGE) !== 0;
  const attachments = [...message.attachments.values(), ...(forwarded ? forwarded.attachments.values() : [])];
  const media = attachments.map((a) => toMedia(a, voice, ctx));
  if (!text && media.length === 0) return null;

  const isDirect = channel.isDMBased();
  const isThread = channel.isThread();
  const referenced = message.reference?.messageId !== undefined;
  const replyTo = forwarded ? undefined : repliedTo(message, ctx.botId);
  const source = forwarded && message.reference?.channelId ? message.client.channels.cache.get(message.reference.channelId) : undefined;
  const sourceName = source && "name" in source && typeof source.name === "string" ? `#${source.name}` : undefined;
  return {
    channel: "discord",
    accountId: ctx.botId,
    chatId: channel.id,
    chatType: isDirect ? "direct" : "group",
    ...(isThread ? { threadId: channel.id } : {}),
    messageId: message.id,
    senderId: author.id,
    senderUsername: author.username,
    // in a guild the name people see is the member's nickname there
    senderName: message.member?.nickname ?? author.globalName ?? author.username,
    text,
    ...(media.length ? { media } : {}),
    ...(isDirect ? {} : { mentioned }),
    replyToBot: referenced && message.mentions.repliedUser?.id === ctx.botId,
    ...(replyTo ? { replyTo } : {}),
    ...(forwarded ? { forwardedFrom: sourceName ? { name: sourceName } : {} } : {}),
    sentAt: message.createdTimestamp,
  };
}

/** the replied-to message, when Discord sent it with the reply (it is in the channel's cache then) */
function repliedTo(message: Message, botId: string): InboundMessage["replyTo"] {
  const id = message.reference?.messageId;
  if (!id || message.reference?.type === FORWARD) return undefined;
  const ref = message.channel.messages.cache.get(id);
  if (!ref) return undefined;
  const author = ref.author;
  const text = readableMentions(ref.content ?? "", ref).trim();
  if (author?.id === botId) return { text, fromBot: true };
  const name = author ? (ref.member?.nickname ?? author.globalName ?? author.username) : undefined;
  return { text, ...(name ? { senderName: name } : {}) };
}

function readableMentions(text: string, message: Message): string {
  return text
    .replace(/<@!?(\d+)>/g, (raw, id: string) => {
      const user = message.mentions.users.get(id);
      return user ? `@${user.username}` : raw;
    })
    .replace(/<@&(\d+)>/g, (raw, id: string) => {
      const role = message.mentions.roles.get(id);
      return role ? `@${role.name}` : raw;
    })
    .replace(/<#(\d+)>/g, (raw, id: string) => {
      const ch = message.client.channels.cache.get(id);
      return ch && "name" in ch && typeof ch.name === "string" ? `#${ch.name}` : raw;
    });
}

function mediaKind(contentType: string, voice: boolean): InboundMedia["kind"] {
  if (contentType.startsWith("audio/")) return voice ? "voice" : "audio";
  if (contentType.startsWith("image/")) return "image";
  if (contentType.startsWith("video/")) return "video";
  return "file";
}

function toMedia(a: Attachment, voice: boolean, ctx: NormalizeContext): InboundMedia {
  const mimeType = (a.contentType ?? "").split(";")[0]!.trim().toLowerCase();
  const name = a.name || "attachment";
  return {
    kind: mediaKind(mimeType, voice),
    ...(mimeType ? { mimeType } : {}),
    filename: name,
    size: a.size,
    fetch: () => ctx.download(a.url, name, a.size),
  };
}
