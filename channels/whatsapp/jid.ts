// WhatsApp addresses (JIDs): "<number>@s.whatsapp.net" for people,
// "<id>@g.us" for groups, "<id>@lid" for WhatsApp's privacy ids, with an
// optional ":<device>" after the user part on linked devices.
import { ChannelError } from "../../src/core/channel.ts";

export const USER_SERVER = "s.whatsapp.net";

export function isGroupJid(jid: string): boolean {
  return jid.endsWith("@g.us");
}

/** status updates, broadcast lists and channels (newsletters): never conversations with the bot */
export function isBroadcastJid(jid: string): boolean {
  return jid === "status@broadcast" || jid.endsWith("@broadcast") || jid.endsWith("@newsletter");
}

/** the user part without device: "4915…:12@s.whatsapp.net" → "4915…" */
export function jidUser(jid: string): string {
  const at = jid.indexOf("@");
  const user = at >= 0 ? jid.slice(0, at) : jid;
  return user.split(":")[0]!.replace(/^\+/, "");
}

export function jidServer(jid: string): string {
  const at = jid.indexOf("@");
  return at >= 0 ? jid.slice(at + 1) : "";
}

/** "4915…:12@s.whatsapp.net" → "4915…@s.whatsapp.net", the server kept as written */
export function withoutDevice(jid: string): string {
  const v = jid.trim();
  return `${jidUser(v)}@${jidServer(v)}`;
}

/**
 * A JID without device suffix; a bare phone number ("+49 151 1234-5678")
 * becomes "<digits>@s.whatsapp.net". Returns undefined for text that is
 * neither.
 */
export function normalizeJid(value: string): string | undefined {
  const v = value.trim();
  if (v.includes("@")) {
    const server = jidServer(v);
    const user = jidUser(v);
    if (!user || !server) return undefined;
    return `${user}@${server === "c.us" ? USER_SERVER : server}`;
  }
  const digits = v.replace(/[\s().-]/g, "").replace(/^\+/, "");
  return /^\d{5,20}$/.test(digits) ? `${digits}@${USER_SERVER}` : undefined;
}

/** the chat id the gateway gives send(), as a JID; a refusal names the fix */
export function chatJid(chatId: string): string {
  const jid = normalizeJid(chatId);
  if (!jid) {
    throw new ChannelError("permanent", `"${chatId.slice(0, 60)}" is not a WhatsApp chat: use a JID such as 4915112345678@s.whatsapp.net or 1203630…@g.us, or a phone number with country code`);
  }
  return jid;
}

/** same person or group, ignoring the device part and "+" */
export function sameJid(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return false;
  const sa = jidServer(a);
  const sb = jidServer(b);
  const server = (s: string) => (s === "c.us" ? USER_SERVER : s);
  return jidUser(a) === jidUser(b) && (sa === "" || sb === "" || server(sa) === server(sb));
}
