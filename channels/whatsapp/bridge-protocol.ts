// The JSON bridge protocol spoken by existing WhatsApp bridges (one JSON
// object per WebSocket text frame).
//
// From the bridge:
//   {"type":"message","from":"<sender jid>","chat":"<chat jid>","content":"text","id":"<msg id>",
//    "from_name":"Alice","media":[{"type":"image","mimetype":"image/jpeg","url":"…" | "data":"<base64>","filename":"…"}],
//    "mentions":["<jid>", …], "mentioned":true, "timestamp":1767225600}
//   {"type":"status","status":"connected","me":"<the bot's jid>"}   {"type":"qr","qr":"…"}
//   {"type":"error","error":"…"}
// To the bridge:
//   {"type":"message","to":"<chat jid>","content":"text"}  (+ "media":[…] in the same shape, when a chunk carries a file)
//
// Only `from` is required in a message; `chat` defaults to `from` (a direct
// chat), `content` to "". A chat JID ending in @g.us is a group. The protocol
// has no field for the message a reply quotes or for a forward's origin, so
// bridge messages reach the model without that context (native mode has it).
//
// Acknowledgements (optional; a bridge opts in, bridges that do not are
// spoken to exactly as before): a status frame with `"acks": true` says the
// bridge keeps every message until it is acknowledged and sends the
// unacknowledged ones again, in order, on the next connection. The gateway
// then answers each message, once it is stored (or was of no use to it),
// with {"type":"ack","id":"<msg id>"}. A crash before that point means the
// message comes again after the restart, and the inbox drops it if it had
// been stored already.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { InboundMedia, InboundMessage, OutboundChunk } from "../../src/core/channel.ts";
import { fileNameOf } from "../../src/media/outbound-files.ts";
import { isBroadcastJid, isGroupJid, jidUser, normalizeJid, sameJid, withoutDevice } from "./jid.ts";

const Envelope = z.looseObject({ type: z.string().min(1) });

const Text = z.string().max(1_000_000);

export const BridgeMessage = z.looseObject({
  type: z.literal("message"),
  from: z.string().min(1),
  chat: z.string().min(1).optional(),
  content: Text.nullish(),
  id: z.union([z.string().min(1), z.number()]).optional(),
  from_name: z.string().nullish(),
  media: z.array(z.unknown()).nullish(),
  mentions: z.array(z.string()).nullish(),
  mentioned: z.boolean().nullish(),
  /** seconds or milliseconds since the epoch */
  timestamp: z.number().nullish(),
});
export type BridgeMessage = z.infer<typeof BridgeMessage>;

export const BridgeMedia = z.looseObject({
  type: z.string().nullish(),
  mimetype: z.string().nullish(),
  url: z.url({ protocol: /^https?$/ }).nullish(),
  data: z.string().nullish(),
  filename: z.string().nullish(),
  size: z.number().nonnegative().nullish(),
});
export type BridgeMedia = z.infer<typeof BridgeMedia>;

export const BridgeStatus = z.looseObject({
  type: z.literal("status"),
  status: z.string().nullish(),
  me: z.string().nullish(),
  /** the bridge keeps messages until acknowledged and replays them on reconnect */
  acks: z.boolean().nullish(),
});
export const BridgeError = z.looseObject({ type: z.literal("error"), error: z.string().nullish(), message: z.string().nullish() });

export type ParsedFrame =
  | { ok: true; type: string; frame: Record<string, unknown> & { type: string } }
  | { ok: false; reason: string };

/** The envelope of one text frame; the reason never quotes the content. */
export function parseFrame(text: string): ParsedFrame {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: `not JSON (${text.length} characters)` };
  }
  const env = Envelope.safeParse(raw);
  if (!env.success) return { ok: false, reason: "not an object with a string `type`" };
  return { ok: true, type: env.data.type, frame: env.data };
}

export interface BridgeNormalizeContext {
  /** the bot's own JID, when the bridge told us (status frame `me`) */
  botJid: string | undefined;
  /** downloads a media URL the bridge gave */
  download(url: string, size: number | undefined): Promise<Buffer>;
  /** reports a media entry that could not be used */
  skipped(reason: string): void;
}

/** A bridge message as the gateway's InboundMessage; null for what is not a conversation. */
export function normalizeBridgeMessage(m: BridgeMessage, ctx: BridgeNormalizeContext): InboundMessage | null {
  const senderId = normalizeJid(m.from);
  if (!senderId) return null;
  // replies go to the chat exactly as the bridge names it (some use @c.us)
  const chatId = m.chat?.trim() || (m.from.includes("@") ? withoutDevice(m.from) : senderId);
  if (isBroadcastJid(chatId) || isBroadcastJid(senderId)) return null;
  const group = isGroupJid(chatId);
  const media = (m.media ?? []).flatMap((entry) => toMedia(entry, ctx));
  let text = m.content ?? "";
  let mentioned: boolean | undefined;
  if (group) {
    const bot = ctx.botJid;
    const byText = bot !== undefined && new RegExp(`@\\+?${escapeRegExp(jidUser(bot))}\\b`).test(text);
    mentioned = m.mentioned === true || (bot !== undefined && (m.mentions ?? []).some((j) => sameJid(j, bot))) || byText;
    if (byText && bot) text = text.replace(new RegExp(`@\\+?${escapeRegExp(jidUser(bot))}\\b`, "g"), "").replace(/\s{2,}/g, " ").trim();
  }
  if (!text.trim() && media.length === 0) return null;
  const name = m.from_name?.trim();
  const ts = m.timestamp ?? undefined;
  return {
    channel: "whatsapp",
    chatId,
    chatType: group ? "group" : "direct",
    messageId: m.id !== undefined ? String(m.id) : `bridge-${randomUUID()}`,
    senderId,
    ...(name ? { senderName: name } : {}),
    text,
    ...(media.length ? { media } : {}),
    ...(group ? { mentioned } : {}),
    ...(ts !== undefined && ts > 0 ? { sentAt: ts < 1e12 ? ts * 1000 : ts } : {}),
  };
}

function toMedia(entry: unknown, ctx: BridgeNormalizeContext): InboundMedia[] {
  const parsed = BridgeMedia.safeParse(entry);
  if (!parsed.success) {
    ctx.skipped(`media entry of unexpected shape (${parsed.error.issues[0]?.path.join(".") || "entry"})`);
    return [];
  }
  const e = parsed.data;
  const kind = mediaKind(e.type, e.mimetype);
  const base: InboundMedia = {
    kind,
    ...(e.mimetype ? { mimeType: e.mimetype } : {}),
    ...(e.filename ? { filename: e.filename } : {}),
    ...(e.size != null ? { size: e.size } : {}),
  };
  if (e.data) {
    const data = Buffer.from(e.data, "base64");
    return [{ ...base, data, size: data.length }];
  }
  if (e.url) {
    const url = e.url;
    const size = e.size ?? undefined;
    return [{ ...base, fetch: () => ctx.download(url, size) }];
  }
  ctx.skipped(`${kind} without data or url`);
  return [];
}

export function mediaKind(type: string | null | undefined, mime: string | null | undefined): InboundMedia["kind"] {
  const t = (type ?? "").toLowerCase();
  if (t === "voice" || t === "ptt") return "voice";
  if (t === "image" || t === "sticker") return "image";
  if (t === "audio") return "audio";
  if (t === "video") return "video";
  if (t === "document" || t === "file") return "file";
  const m = (mime ?? "").toLowerCase();
  if (m.startsWith("image/")) return "image";
  if (m.startsWith("audio/")) return "audio";
  if (m.startsWith("video/")) return "video";
  return "file";
}

/** The id of a message frame as the bridge wrote it (string or number), even when the rest is malformed. */
export function frameId(frame: Record<string, unknown>): string | number | undefined {
  const id = frame.id;
  return (typeof id === "string" && id.length > 0) || typeof id === "number" ? id : undefined;
}

/** The acknowledgement of one message: the gateway has it (or had no use for it); the bridge may forget it. */
export function ackFrame(id: string | number): Record<string, unknown> {
  return { type: "ack", id };
}

/** The frame send() writes for one chunk. */
export function outboundFrame(to: string, content: string, media: OutboundChunk["media"]): Record<string, unknown> {
  return {
    type: "message",
    to,
    content,
    ...(media
      ? {
          media: [
            {
              type: media.kind === "file" ? "document" : media.kind,
              mimetype: media.mimeType,
              ...(media.data ? { data: media.data } : {}),
              ...(media.url ? { url: media.url } : {}),
              // a document or audio file always carries a name, so the chat shows "report.pdf", not "file"
              ...(media.filename || media.kind !== "image" ? { filename: fileNameOf(media) } : {}),
            },
          ],
        }
      : {}),
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
