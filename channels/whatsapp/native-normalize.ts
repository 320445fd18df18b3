// A baileys message (messages.upsert, type "notify") as the gateway's
// InboundMessage. Read: text (conversation, extendedTextMessage), captions,
// images, voice notes (audioMessage with ptt), other audio, video and
// documents, through the ephemeral / view-once / document-with-caption
// wrappers. Dropped: the bot's own messages (fromMe), status updates and
// other broadcasts, and anything with neither text nor media (reactions,
// receipts, protocol messages, stickers).
//
// senderId is the sender's JID without device (the participant in groups,
// the chat in direct chats), preferring the phone-number JID WhatsApp sends
// beside a privacy id (@lid), so allow_from entries with phone numbers match.
//
// A reply (contextInfo.quotedMessage) carries the quoted text; its author is
// only a JID, shown as the phone number (or the sender's own push name when
// they quote themselves). A forward (contextInfo.isForwarded) says only that
// it was forwarded: WhatsApp does not tell from whom.
import { z } from "zod";
import type { InboundMedia, InboundMessage } from "../../src/core/channel.ts";
import { tooBig } from "./download.ts";
import { USER_SERVER, isBroadcastJid, isGroupJid, jidServer, jidUser, normalizeJid, sameJid } from "./jid.ts";

const str = z.string().nullish();
const ContextInfo = z
  .object({
    mentionedJid: z.array(z.string()).nullish(),
    participant: str,
    stanzaId: str,
    quotedMessage: z.unknown().optional(),
    isForwarded: z.boolean().nullish(),
  })
  .nullish();
const media = { mimetype: str, fileLength: z.unknown().optional(), contextInfo: ContextInfo };

const Content = z.object({
  conversation: str,
  extendedTextMessage: z.object({ text: str, contextInfo: ContextInfo }).nullish(),
  imageMessage: z.object({ caption: str, ...media }).nullish(),
  audioMessage: z.object({ ptt: z.boolean().nullish(), seconds: z.number().nullish(), ...media }).nullish(),
  videoMessage: z.object({ caption: str, ...media }).nullish(),
  documentMessage: z.object({ caption: str, fileName: str, ...media }).nullish(),
});
type Content = z.infer<typeof Content>;

const WRAPPERS = ["ephemeralMessage", "viewOnceMessage", "viewOnceMessageV2", "viewOnceMessageV2Extension", "documentWithCaptionMessage"] as const;

const WaMessage = z.object({
  key: z.object({
    remoteJid: z.string().min(1),
    fromMe: z.boolean().nullish(),
    id: z.string().min(1),
    participant: str,
    remoteJidAlt: str,
    participantAlt: str,
  }),
  pushName: str,
  messageTimestamp: z.unknown().optional(),
  message: z.unknown().optional(),
});

export interface BotIds {
  /** "<number>:<device>@s.whatsapp.net" */
  id?: string | undefined;
  /** "<id>:<device>@lid" */
  lid?: string | null | undefined;
}

export interface NativeNormalizeContext {
  bot: BotIds | undefined;
  /** downloads the media of the raw message */
  download(): Promise<Buffer>;
  maxMediaBytes: number;
}

export type NormalizeResult = { ok: true; msg: InboundMessage | null } | { ok: false; reason: string };

export function normalizeNativeMessage(raw: unknown, ctx: NativeNormalizeContext): NormalizeResult {
  const parsed = WaMessage.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: `unexpected shape at ${parsed.error.issues[0]?.path.join(".") || "message"}` };
  const { key, pushName } = parsed.data;
  if (key.fromMe || isBroadcastJid(key.remoteJid)) return { ok: true, msg: null };
  const inner = unwrap(parsed.data.message);
  if (!inner) return { ok: true, msg: null };
  const contentParsed = Content.safeParse(inner);
  if (!contentParsed.success) return { ok: false, reason: `unexpected shape at message.${contentParsed.error.issues[0]?.path.join(".") ?? ""}` };
  const content = contentParsed.data;
  const group = isGroupJid(key.remoteJid);
  const senderRaw = group ? preferPhone(key.participant, key.participantAlt) : preferPhone(key.remoteJid, key.remoteJidAlt);
  const senderId = senderRaw ? normalizeJid(senderRaw) : undefined;
  if (!senderId) return { ok: true, msg: null };

  const { text: body, context, media } = readContent(content, ctx);
  let text = body;
  const bots = [ctx.bot?.id, ctx.bot?.lid].filter((j): j is string => typeof j === "string" && j !== "");
  const mentioned = bots.some((b) => (context?.mentionedJid ?? []).some((j) => sameJid(j, b)));
  const replyToBot = Boolean(context?.stanzaId) && bots.some((b) => sameJid(context?.participant, b));
  if (mentioned) {
    for (const b of bots) text = text.replace(new RegExp(`@${escapeRegExp(jidUser(b))}\\b`, "g"), "");
    text = text.replace(/[ \t]{2,}/g, " ").trim();
  }
  if (!text.trim() && !media) return { ok: true, msg: null };
  const name = pushName?.trim();
  const quoted = context?.quotedMessage ? quotedText(context.quotedMessage) : undefined;
  const quotedBy = context?.participant ?? undefined;
  const replyTo: InboundMessage["replyTo"] =
    quoted === undefined
      ? undefined
      : bots.some((b) => sameJid(quotedBy, b))
        ? { text: quoted, fromBot: true }
        : { text: quoted, ...authorName(quotedBy, senderRaw, name) };
  const ts = toNumber(parsed.data.messageTimestamp);
  return {
    ok: true,
    msg: {
      channel: "whatsapp",
      ...(ctx.bot?.id ? { accountId: normalizeJid(ctx.bot.id) ?? ctx.bot.id } : {}),
      chatId: key.remoteJid,
      chatType: group ? "group" : "direct",
      messageId: key.id,
      senderId,
      ...(name ? { senderName: name } : {}),
      text,
      ...(media ? { media: [media] } : {}),
      ...(group ? { mentioned } : {}),
      ...(replyToBot ? { replyToBot } : {}),
      ...(replyTo ? { replyTo } : {}),
      ...(context?.isForwarded ? { forwardedFrom: {} } : {}),
      ...(ts !== undefined && ts > 0 ? { sentAt: ts * 1000 } : {}),
    },
  };
}

function readContent(c: Content, ctx: NativeNormalizeContext): { text: string; context: z.infer<typeof ContextInfo>; media?: InboundMedia } {
  const fetchCapped = (size: number | undefined, what: string) => async () => {
    if (size !== undefined && size > ctx.maxMediaBytes) throw tooBig(`WhatsApp ${what}`, ctx.maxMediaBytes, size);
    const data = await ctx.download();
    if (data.length > ctx.maxMediaBytes) throw tooBig(`WhatsApp ${what}`, ctx.maxMediaBytes, data.length);
    return data;
  };
  const withMedia = (kind: InboundMedia["kind"], m: { mimetype?: string | null; fileLength?: unknown }, filename?: string | null) => {
    const size = toNumber(m.fileLength);
    return {
      kind,
      ...(m.mimetype ? { mimeType: m.mimetype } : {}),
      ...(filename ? { filename } : {}),
      ...(size !== undefined ? { size } : {}),
      fetch: fetchCapped(size, kind === "voice" ? "voice note" : kind),
    } satisfies InboundMedia;
  };
  if (c.imageMessage) return { text: c.imageMessage.caption ?? "", context: c.imageMessage.contextInfo, media: withMedia("image", c.imageMessage) };
  if (c.audioMessage) {
    const a = c.audioMessage;
    return { text: "", context: a.contextInfo, media: withMedia(a.ptt ? "voice" : "audio", a) };
  }
  if (c.videoMessage) return { text: c.videoMessage.caption ?? "", context: c.videoMessage.contextInfo, media: withMedia("video", c.videoMessage) };
  if (c.documentMessage) {
    const d = c.documentMessage;
    return { text: d.caption ?? "", context: d.contextInfo, media: withMedia("file", d, d.fileName) };
  }
  if (c.extendedTextMessage) return { text: c.extendedTextMessage.text ?? "", context: c.extendedTextMessage.contextInfo };
  return { text: c.conversation ?? "", context: undefined };
}

/** the text of a quoted message (its caption for media), "" when it has none; undefined when unreadable */
function quotedText(raw: unknown): string | undefined {
  const inner = unwrap(raw);
  const c = inner ? Content.safeParse(inner) : undefined;
  if (!c?.success) return undefined;
  const q = c.data;
  return q.conversation ?? q.extendedTextMessage?.text ?? q.imageMessage?.caption ?? q.videoMessage?.caption ?? q.documentMessage?.caption ?? "";
}

/** who wrote a quoted message: the sender's push name when they quote themselves, else their number */
function authorName(jid: string | undefined, sender: string | undefined, senderName: string | undefined): { senderName?: string } {
  if (!jid) return {};
  if (senderName && sender && sameJid(jid, sender)) return { senderName };
  return jidServer(jid) === USER_SERVER ? { senderName: `+${jidUser(jid)}` } : {};
}

/** the content inside ephemeral / view-once / document-with-caption wrappers */
function unwrap(message: unknown, depth = 0): object | undefined {
  if (typeof message !== "object" || message === null || depth > 4) return undefined;
  const m = message as Record<string, unknown>;
  for (const w of WRAPPERS) {
    const inner = (m[w] as { message?: unknown } | null | undefined)?.message;
    if (inner) return unwrap(inner, depth + 1);
  }
  return message;
}

/** the phone-number JID when WhatsApp sent one beside a privacy id */
function preferPhone(jid: string | null | undefined, alt: string | null | undefined): string | undefined {
  if (jid && jidServer(jid) === USER_SERVER) return jid;
  if (alt && jidServer(alt) === USER_SERVER) return alt;
  return jid ?? alt ?? undefined;
}

/** numbers, numeric strings and protobuf Longs */
function toNumber(v: unknown): number | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  const n = typeof (v as { toNumber?: unknown }).toNumber === "function" ? (v as { toNumber(): number }).toNumber() : Number(String(v));
  return Number.isFinite(n) ? n : undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
