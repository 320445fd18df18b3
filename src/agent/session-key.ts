// Which session a message belongs to. Direct chats follow `session.dm_scope`:
//   main                      every direct chat shares the one session "main"
//   per-peer                  one session per sender id, across channels
//   per-channel-peer          one per sender per channel (the default)
//   per-account-channel-peer  one per sender per bot account per channel
// Groups ignore the scope: one session per group, and one per thread or
// topic inside it when the platform has them.

export const DM_SCOPES = ["main", "per-peer", "per-channel-peer", "per-account-channel-peer"] as const;
export type DmScope = (typeof DM_SCOPES)[number];
export const DEFAULT_DM_SCOPE: DmScope = "per-channel-peer";

/** The session key every direct chat shares under dm_scope "main". */
export const MAIN_SESSION_KEY = "main";

export interface Peer {
  channel: string;
  /** the bot account on that channel, when the channel runs several */
  accountId?: string;
  chatId: string;
  chatType: "direct" | "group";
  senderId: string;
  /** thread or forum topic inside a group */
  threadId?: string;
}

/**
 * One key segment, safe to log, to use as a file name part and to split on
 * ":": anything outside [A-Za-z0-9._~-] is percent-encoded, so two different
 * ids never map to the same key. An empty id becomes "(none)".
 */
export function keyPart(value: string): string {
  // "(" and ")" are always encoded below, so this marker cannot be an id
  if (value === "") return "(none)";
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function sessionKeyFor(peer: Peer, dmScope: DmScope = DEFAULT_DM_SCOPE): string {
  const channel = keyPart(peer.channel);
  if (peer.chatType === "group") {
    const group = `${channel}:group:${keyPart(peer.chatId)}`;
    return peer.threadId ? `${group}:thread:${keyPart(peer.threadId)}` : group;
  }
  const sender = keyPart(peer.senderId);
  switch (dmScope) {
    case "main":
      return MAIN_SESSION_KEY;
    case "per-peer":
      return `dm:${sender}`;
    case "per-account-channel-peer":
      return `${channel}:${keyPart(peer.accountId || "default")}:dm:${sender}`; // "" (no account) is the default one too
    case "per-channel-peer":
    default:
      return `${channel}:dm:${sender}`;
  }
}
