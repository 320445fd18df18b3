// A Bot API Update turned into the gateway's InboundMessage. Only new
// messages in private chats, groups and supergroups count: edits, channel
// posts and service messages (no text, no media) are ignored.
import type { InboundMedia, InboundMessage } from "../../src/core/channel.ts";
import type { TgEntity, TgFile, TgMessage, TgOrigin, TgUpdate, TgUser } from "./schema.ts";

export interface BotIdentity {
  id: number;
  /** without the @ */
  username: string;
}

/** Makes the lazy fetch() of one file. */
export type FileFetcherFactory = (fileId: string, size?: number) => () => Promise<Buffer>;

export function normalizeUpdate(update: TgUpdate, bot: BotIdentity, files: FileFetcherFactory): InboundMessage | undefined {
  const m = update.message;
  if (!m) return undefined;
  const chatType = m.chat.type === "private" ? "direct" : m.chat.type === "group" || m.chat.type === "supergroup" ? "group" : undefined;
  if (!chatType) return undefined;
  const senderId = m.from?.id ?? m.sender_chat?.id;
  if (senderId === undefined || senderId === bot.id) return undefined;

  const rawText = m.text ?? m.caption ?? "";
  const entities = (m.text !== undefined ? m.entities : m.caption_entities) ?? [];
  const { text, addressed } = stripOwnCommandSuffix(rawText, entities, bot.username);
  const media = mediaOf(m, files);
  // a file alone is a message too: the gateway reads documents into text (src/media)
  const usable = media.some((x) => x.kind === "image" || x.kind === "audio" || x.kind === "voice" || x.kind === "file");
  if (!text.trim() && !usable) return undefined;

  const senderName = m.from ? [m.from.first_name, m.from.last_name].filter(Boolean).join(" ") : m.sender_chat?.title;
  const threadId = m.is_topic_message && m.message_thread_id !== undefined ? String(m.message_thread_id) : undefined;
  const mentioned = addressed || mentionsBot(rawText, entities, bot);
  const replyToBot = m.reply_to_message?.from?.id === bot.id;
  const replyTo = repliedTo(m, bot);
  const forwardedFrom = m.forward_origin ? originName(m.forward_origin) : undefined;
  return {
    channel: "telegram",
    accountId: String(bot.id),
    chatId: String(m.chat.id),
    chatType,
    ...(threadId ? { threadId } : {}),
    messageId: String(m.message_id),
    senderId: String(senderId),
    ...(m.from?.username ? { senderUsername: m.from.username } : {}),
    ...(senderName ? { senderName } : {}),
    text,
    ...(media.length ? { media } : {}),
    ...(mentioned ? { mentioned: true } : {}),
    ...(replyToBot ? { replyToBot: true } : {}),
    ...(replyTo ? { replyTo } : {}),
    ...(m.forward_origin ? { forwardedFrom: forwardedFrom ? { name: forwardedFrom } : {} } : {}),
    sentAt: m.date * 1000,
  };
}

/**
 * The message this one replies to: reply_to_message (same chat) or
 * external_reply (another chat or topic; it has no text, only the quote
 * does). A quote, when the person picked one, is what they pointed at.
 */
function repliedTo(m: TgMessage, bot: BotIdentity): InboundMessage["replyTo"] {
  const r = m.reply_to_message;
  const quoted = m.quote?.text;
  if (r) {
    // in a forum, every message of a topic "replies" to the topic's opening service message
    if (m.is_topic_message && r.message_id === m.message_thread_id && quoted === undefined) return undefined;
    const fromBot = r.from?.id === bot.id;
    const name = r.from ? userName(r.from) : r.sender_chat?.title;
    return { text: quoted ?? r.text ?? r.caption ?? "", ...(fromBot ? { fromBot } : name ? { senderName: name } : {}) };
  }
  if (m.external_reply) {
    const name = originName(m.external_reply.origin);
    return { text: quoted ?? "", ...(name ? { senderName: name } : {}) };
  }
  return undefined;
}

/** who wrote a forwarded or externally replied-to message (MessageOrigin) */
function originName(o: TgOrigin): string | undefined {
  const chat = o.sender_chat ?? o.chat;
  const signed = o.author_signature ? ` (${o.author_signature})` : "";
  if (o.sender_user) return userName(o.sender_user);
  if (o.sender_user_name) return o.sender_user_name;
  if (chat?.title) return `${chat.title}${signed}`;
  return undefined;
}

function userName(u: TgUser): string | undefined {
  const name = [u.first_name, u.last_name].filter(Boolean).join(" ");
  return name || (u.username ? `@${u.username}` : undefined);
}

function slice(text: string, e: TgEntity): string {
  // entity offsets count UTF-16 code units, as JS strings do
  return text.slice(e.offset, e.offset + e.length);
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// Plain messages carry no entities, so every one of them was checked with two
// patterns built for the bot's name: built once per name instead.
const namePatterns = new Map<string, { command: RegExp; mention: RegExp }>();

function patternsFor(username: string): { command: RegExp; mention: RegExp } {
  let p = namePatterns.get(username);
  if (!p) {
    const name = escapeRegExp(username);
    p = { command: new RegExp(`^(\\s*/\\w+)@${name}(?=\\s|$)`, "i"), mention: new RegExp(`(^|[^\\w@])@${name}(?!\\w)`, "i") };
    if (namePatterns.size >= 16) namePatterns.clear(); // bots are few; never a leak
    namePatterns.set(username, p);
  }
  return p;
}

/** "/new@mybot args" → "/new args"; commands addressed to other bots stay as they are. */
function stripOwnCommandSuffix(text: string, entities: TgEntity[], username: string): { text: string; addressed: boolean } {
  let out = text;
  let addressed = false;
  const commands = entities.filter((e) => e.type === "bot_command").sort((a, b) => b.offset - a.offset);
  for (const e of commands) {
    const cmd = /^(\/\w+)@(\w+)$/.exec(slice(text, e));
    if (cmd && sameName(cmd[2]!, username)) {
      out = out.slice(0, e.offset) + cmd[1]! + out.slice(e.offset + e.length);
      addressed = true;
    }
  }
  if (!commands.length && username) {
    // updates without entities (hand-written webhook bodies): a leading command only
    const re = patternsFor(username).command;
    if (re.test(out)) {
      out = out.replace(re, "$1");
      addressed = true;
    }
  }
  return { text: out, addressed };
}

function mentionsBot(text: string, entities: TgEntity[], bot: BotIdentity): boolean {
  for (const e of entities) {
    if (e.type === "mention" && sameName(slice(text, e), `@${bot.username}`)) return true;
    if (e.type === "text_mention" && e.user?.id === bot.id) return true;
  }
  if (entities.length || !bot.username) return false;
  return patternsFor(bot.username).mention.test(text);
}

function mediaOf(m: TgMessage, files: FileFetcherFactory): InboundMedia[] {
  const out: InboundMedia[] = [];
  const item = (kind: InboundMedia["kind"], f: TgFile, mimeType: string): InboundMedia => ({
    kind,
    mimeType,
    ...(f.file_name ? { filename: f.file_name } : {}),
    ...(f.file_size !== undefined ? { size: f.file_size } : {}),
    fetch: files(f.file_id, f.file_size),
  });
  if (m.voice) out.push(item("voice", m.voice, m.voice.mime_type ?? "audio/ogg"));
  if (m.audio) out.push(item("audio", m.audio, m.audio.mime_type ?? "audio/mpeg"));
  if (m.photo?.length) {
    const largest = m.photo.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
    out.push(item("image", largest, "image/jpeg"));
  }
  if (m.document) {
    const mime = m.document.mime_type ?? "application/octet-stream";
    const kind = mime.startsWith("image/") ? "image" : mime.startsWith("audio/") ? "audio" : "file";
    out.push(item(kind, m.document, mime));
  }
  if (m.video) out.push(item("video", m.video, m.video.mime_type ?? "video/mp4"));
  return out;
}
