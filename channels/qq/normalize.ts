// QQ dispatches → InboundMessage. Decisions made here:
// - C2C_MESSAGE_CREATE (a direct message) → chatType "direct", chatId and
//   senderId = the user's openid (QQ gives bots per-bot openids, never QQ
//   numbers or names, so there is no senderUsername);
// - GROUP_AT_MESSAGE_CREATE → chatType "group", chatId = group_openid,
//   senderId = member_openid, mentioned = true: QQ only delivers group
//   messages that @-mention the bot, with the mention already removed;
// - text: QQ's HTML escapes (&amp; &lt; &gt;) undone, emoji tags
//   (<faceType=...>) dropped, trimmed;
// - attachments: voice ("voice", audio/*, .silk/.amr) → kind "voice" or
//   "audio". QQ voice messages are Tencent SILK v3, which few speech models
//   read, so when QQ also offers its WAV conversion (voice_wav_url) that is
//   what fetch() returns (mimeType audio/wav); otherwise the mimeType says
//   what the file really is (audio/silk, audio/amr). image/* → "image",
//   video/* → "video", the rest → "file". Bytes are fetched on demand;
// - a message with neither text nor attachments is dropped;
// - a quote (message_type 103) carries the quoted message's content in
//   msg_elements: that becomes replyTo. QQ does not say who wrote the quoted
//   message (not even whether it was the bot), and forwarded chat records
//   (message_type 102) arrive without their content, so neither is shown.
import type { InboundMedia, InboundMessage } from "../../src/core/channel.ts";
import { QUOTE_MESSAGE_TYPE, type Attachment, type C2cMessage, type GroupMessage } from "./schema.ts";

export interface NormalizeContext {
  appId: string;
  /** downloads one attachment (size-capped) */
  download: (url: string, name: string, reportedSize: number | undefined) => Promise<Buffer>;
}

const EXT_MIME: Record<string, string> = {
  silk: "audio/silk",
  slk: "audio/silk",
  amr: "audio/amr",
  wav: "audio/wav",
  mp3: "audio/mpeg",
  m4a: "audio/mp4",
  ogg: "audio/ogg",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  gif: "image/gif",
  webp: "image/webp",
  mp4: "video/mp4",
};

function extension(name: string | undefined): string {
  const m = /\.([a-z0-9]{2,5})$/i.exec((name ?? "").split("?")[0] ?? "");
  return m ? m[1]!.toLowerCase() : "";
}

export function cleanText(content: string | undefined): string {
  return (content ?? "")
    .replace(/<faceType=\d+,faceId="[^"]*"(?:,ext="[^"]*")?>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&")
    .trim();
}

export function toMedia(a: Attachment, ctx: NormalizeContext): InboundMedia | undefined {
  const contentType = (a.content_type ?? "").split(";")[0]!.trim().toLowerCase();
  const name = a.filename || "attachment";
  const ext = extension(a.filename) || extension(a.url);
  const byExt = EXT_MIME[ext];
  const isVoice = contentType === "voice" || ext === "silk" || ext === "slk" || ext === "amr";
  if (isVoice || contentType.startsWith("audio/") || contentType === "audio") {
    if (isVoice && a.voice_wav_url) {
      const wavName = `${name.replace(/\.[a-z0-9]{2,5}$/i, "")}.wav`;
      const url = a.voice_wav_url;
      return { kind: "voice", mimeType: "audio/wav", filename: wavName, fetch: () => ctx.download(url, wavName, undefined) };
    }
    if (!a.url) return undefined;
    const url = a.url;
    const mimeType = contentType.startsWith("audio/") ? contentType : (byExt ?? "audio/silk");
    return {
      kind: isVoice ? "voice" : "audio",
      mimeType,
      filename: name,
      ...(a.size !== undefined ? { size: a.size } : {}),
      fetch: () => ctx.download(url, name, a.size),
    };
  }
  if (!a.url) return undefined;
  const url = a.url;
  const family = contentType.split("/")[0];
  const kind: InboundMedia["kind"] = family === "image" ? "image" : family === "video" ? "video" : "file";
  const mimeType = contentType.includes("/") ? contentType : byExt;
  return {
    kind,
    ...(mimeType ? { mimeType } : {}),
    filename: name,
    ...(a.size !== undefined ? { size: a.size } : {}),
    fetch: () => ctx.download(url, name, a.size),
  };
}

function sentAt(ts: string | number | undefined): number | undefined {
  if (ts === undefined) return undefined;
  const ms = typeof ts === "number" ? (ts < 1e12 ? ts * 1000 : ts) : /^\d+$/.test(ts) ? Number(ts) * 1000 : Date.parse(ts);
  return Number.isFinite(ms) ? ms : undefined;
}

function common(d: C2cMessage | GroupMessage, ctx: NormalizeContext): Pick<InboundMessage, "text" | "media" | "sentAt" | "replyTo"> | null {
  const text = cleanText(d.content);
  const media = (d.attachments ?? []).map((a) => toMedia(a, ctx)).filter((m): m is InboundMedia => m !== undefined);
  if (!text && media.length === 0) return null;
  const at = sentAt(d.timestamp);
  const quoted = d.message_type === QUOTE_MESSAGE_TYPE && d.msg_elements ? d.msg_elements.map((e) => cleanText(e.content)).filter(Boolean).join("\n") : undefined;
  return { text, ...(media.length ? { media } : {}), ...(at !== undefined ? { sentAt: at } : {}), ...(quoted !== undefined ? { replyTo: { text: quoted } } : {}) };
}

export function normalizeC2c(d: C2cMessage, ctx: NormalizeContext): InboundMessage | null {
  const body = common(d, ctx);
  if (!body) return null;
  const openid = d.author.user_openid;
  return { channel: "qq", accountId: ctx.appId, chatId: openid, chatType: "direct", messageId: d.id, senderId: openid, ...body };
}

export function normalizeGroup(d: GroupMessage, ctx: NormalizeContext): InboundMessage | null {
  const body = common(d, ctx);
  if (!body) return null;
  return {
    channel: "qq",
    accountId: ctx.appId,
    chatId: d.group_openid,
    chatType: "group",
    messageId: d.id,
    senderId: d.author.member_openid,
    mentioned: true,
    ...body,
  };
}
