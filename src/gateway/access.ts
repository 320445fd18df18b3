// Who may reach the agent. `allow_from` entries, in the formats the reference
// documents use:
//   "123456789" or 123456789   a platform user id
//   "@alice"                   a username (case-insensitive)
//   "123456789|alice"          id or username (PicoClaw's compound form)
//   "telegram:123456789"       an id on one platform only
//   "*"                        everyone
// An empty list admits nobody automatically: unknown senders get a pairing
// code, and the owner approves them from the CLI.
import type { InboundMessage } from "../core/channel.ts";

export interface AllowEntry {
  any?: true;
  platform?: string;
  id?: string;
  username?: string;
}

const KNOWN_PLATFORMS = new Set(["telegram", "discord", "whatsapp", "feishu", "lark", "qq", "cli"]);

export function parseAllowEntry(raw: string | number): AllowEntry | undefined {
  let value = String(raw).trim();
  if (value === "") return undefined;
  if (value === "*") return { any: true };
  let platform: string | undefined;
  const colon = value.indexOf(":");
  if (colon > 0 && KNOWN_PLATFORMS.has(value.slice(0, colon).toLowerCase())) {
    platform = value.slice(0, colon).toLowerCase();
    value = value.slice(colon + 1).trim();
  }
  const entry: AllowEntry = platform ? { platform } : {};
  if (value.startsWith("@")) return { ...entry, username: value.slice(1).toLowerCase() };
  const bar = value.indexOf("|");
  if (bar >= 0) {
    const id = value.slice(0, bar).trim();
    const username = value.slice(bar + 1).trim().replace(/^@/, "").toLowerCase();
    return { ...entry, ...(id ? { id } : {}), ...(username ? { username } : {}) };
  }
  return { ...entry, id: value };
}

export interface Sender {
  channel: string;
  senderId: string;
  senderUsername?: string;
}

export function entryMatches(entry: AllowEntry, sender: Sender): boolean {
  if (entry.any) return true;
  if (entry.platform && entry.platform !== sender.channel && !(entry.platform === "lark" && sender.channel === "feishu")) return false;
  if (entry.id !== undefined && entry.id === sender.senderId) return true;
  // WhatsApp ids are JIDs; a bare phone number entry matches "<number>@s.whatsapp.net"
  if (entry.id !== undefined && sender.senderId.includes("@") && sender.senderId.split("@")[0] === entry.id.replace(/^\+/, "")) return true;
  const name = sender.senderUsername?.replace(/^@/, "").toLowerCase();
  return entry.username !== undefined && name !== undefined && entry.username === name;
}

export class AllowList {
  readonly entries: AllowEntry[];
  constructor(raw: readonly (string | number)[] | undefined) {
    this.entries = (raw ?? []).map(parseAllowEntry).filter((e): e is AllowEntry => e !== undefined);
  }
  get empty(): boolean {
    return this.entries.length === 0;
  }
  allows(sender: Sender): boolean {
    return this.entries.some((e) => entryMatches(e, sender));
  }
}

export interface GroupTrigger {
  /** answer in groups only when addressed; default true */
  mention_only?: boolean;
  /** text prefixes that address the bot, e.g. ["/ask", "!bot"] */
  prefixes?: string[];
}

/**
 * Whether a group message is meant for the bot, and the text with a trigger
 * prefix removed. Direct messages always pass unchanged.
 */
export function groupTriggered(msg: InboundMessage, trigger: GroupTrigger | undefined): { triggered: boolean; text: string } {
  if (msg.chatType === "direct") return { triggered: true, text: msg.text };
  if (msg.mentioned || msg.replyToBot) return { triggered: true, text: msg.text };
  for (const prefix of trigger?.prefixes ?? []) {
    if (prefix && msg.text.toLowerCase().startsWith(prefix.toLowerCase())) {
      return { triggered: true, text: msg.text.slice(prefix.length).trim() };
    }
  }
  if (trigger?.mention_only === false) return { triggered: true, text: msg.text };
  return { triggered: false, text: msg.text };
}

/** A channel's access policy from the gateway's keys in its config (allow_from, group_trigger). */
export function channelPolicy(cfg: { allow_from?: readonly (string | number)[]; group_trigger?: unknown }): { allowFrom: AllowList; groupTrigger?: GroupTrigger } {
  const groupTrigger = cfg.group_trigger as GroupTrigger | undefined;
  return { allowFrom: new AllowList(cfg.allow_from), ...(groupTrigger ? { groupTrigger } : {}) };
}
