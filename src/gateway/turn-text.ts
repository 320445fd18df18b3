// How one stored message reads to the model. In a group several people talk
// to the bot, so each message starts with who wrote it ("Ana: …"); a direct
// chat has one person and stays as typed. A reply carries the message it
// answers as a "> " quote under a note saying whose it was, and a forwarded
// message says where it came from, so the model can tell the person's request
// from words they are only quoting. Quotes are bounded: a reply to a long
// article must not crowd out the question asked about it.
import type { InboundMessage, QuotedMessage } from "../core/channel.ts";
import { parseCommand } from "../agent/commands.ts";

/** Longest quoted text kept (characters); the rest becomes "…". */
export const QUOTE_LIMIT = 1000;
/** Longest sender name shown; a display name is the sender's to choose. */
const NAME_LIMIT = 64;

/** The reply/forward context stored with an inbound message (part of its inbox payload). */
export interface StoredContext {
  senderUsername?: string;
  replyTo?: QuotedMessage;
  forwardedFrom?: { name?: string };
}

/** What a turn needs of one stored message. */
export interface TurnMessage extends StoredContext {
  chatType: InboundMessage["chatType"];
  senderName?: string;
  media?: { kind: string }[];
}

/** The context fields of an inbound message, quotes already cut to QUOTE_LIMIT. */
export function contextOf(msg: InboundMessage): StoredContext {
  const out: StoredContext = {};
  if (msg.senderUsername) out.senderUsername = msg.senderUsername;
  if (msg.replyTo) {
    const r = msg.replyTo;
    out.replyTo = {
      text: clipQuote(r.text ?? ""),
      ...(r.senderName ? { senderName: oneLine(r.senderName) } : {}),
      ...(r.fromBot ? { fromBot: true } : {}),
    };
  }
  if (msg.forwardedFrom) out.forwardedFrom = msg.forwardedFrom.name ? { name: oneLine(msg.forwardedFrom.name) } : {};
  return out;
}

/**
 * The text of one message for the turn: `body` (what the person wrote, plus
 * transcribed voice) with its sender and context. "" when there is nothing
 * to say. A chat command stays bare, so the agent still recognizes it.
 */
export function turnText(msg: TurnMessage, senderId: string, body: string): string {
  const text = body.trim();
  if (text && parseCommand(text)) return text;
  const group = msg.chatType === "group";
  const notes = [forwardNote(msg), replyNote(msg)].filter(Boolean).join(" ");
  const quote = msg.replyTo?.text.trim() ? quoteBlock(msg.replyTo.text) : "";
  let said = text;
  if (!said && group && msg.media?.some((m) => m.kind === "image")) said = "(sent an image)";
  if (!said && !notes) return "";
  const header = [group ? `${senderLabel(msg, senderId)}:` : "", notes].filter(Boolean).join(" ");
  if (!header) return said;
  // the person's own words start on a line of their own once a quote or a forward is shown
  if (quote || msg.forwardedFrom) return [header, quote, said].filter(Boolean).join("\n");
  return said ? `${header} ${said}` : header;
}

/** display name, else @username, else the platform id */
export function senderLabel(msg: { senderName?: string; senderUsername?: string }, senderId: string): string {
  const name = msg.senderName ? oneLine(msg.senderName) : "";
  if (name) return name;
  if (msg.senderUsername) return `@${oneLine(msg.senderUsername)}`;
  return oneLine(senderId) || "someone";
}

function forwardNote(msg: TurnMessage): string {
  if (!msg.forwardedFrom) return "";
  return msg.forwardedFrom.name ? `(forwarded from ${msg.forwardedFrom.name})` : "(forwarded message)";
}

function replyNote(msg: TurnMessage): string {
  const r = msg.replyTo;
  if (!r) return "";
  if (r.fromBot) return "(replying to your message)";
  return r.senderName ? `(replying to ${r.senderName})` : "(replying to a message)";
}

/** every line prefixed "> ", so no quoted line can pass for the person's own words */
function quoteBlock(text: string): string {
  return clipQuote(text.trim())
    .split(/\r?\n/)
    .map((line) => `> ${line}`.trimEnd())
    .join("\n");
}

/** cuts to QUOTE_LIMIT characters (a cut text ends with "…"); cutting twice changes nothing */
export function clipQuote(text: string): string {
  if (text.length <= QUOTE_LIMIT) return text;
  let cut = text.slice(0, QUOTE_LIMIT);
  // never leave half of a surrogate pair
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, " ").trim();
  return flat.length <= NAME_LIMIT ? flat : `${flat.slice(0, NAME_LIMIT)}…`;
}

/** "/start" is "/help" to the agent; "/new@mybot" is "/new". */
export function normalizeCommand(text: string): string {
  const m = /^\/([a-z_]+)(@\w+)?(\s|$)/i.exec(text.trim());
  if (!m) return text;
  const rest = text.trim().slice(m[0].length);
  const name = m[1]!.toLowerCase() === "start" ? "help" : m[1]!;
  return `/${name}${rest ? ` ${rest}` : ""}`;
}
