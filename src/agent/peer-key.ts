// Which session a message belongs to (session.dm_scope):
//   main                      every direct chat shares one session
//   per-peer                  one per person, across channels
//   per-channel-peer          one per person per channel (default)
//   per-account-channel-peer  one per person per bot account per channel
// Groups always get one session per group, and per thread or topic.

export type DmScope = "main" | "per-peer" | "per-channel-peer" | "per-account-channel-peer";

export interface Peer {
  channel: string;
  accountId?: string;
  chatId: string;
  chatType: "direct" | "group";
  senderId: string;
  threadId?: string;
}

/** keeps keys readable and free of separators a platform id might contain */
function part(v: string): string {
  return v.replace(/[\s:]+/g, "_");
}

export function sessionKeyFor(peer: Peer, scope: DmScope = "per-channel-peer"): string {
  if (peer.chatType === "group") {
    const base = `${part(peer.channel)}:group:${part(peer.chatId)}`;
    return peer.threadId ? `${base}:thread:${part(peer.threadId)}` : base;
  }
  switch (scope) {
    case "main":
      return "main";
    case "per-peer":
      return `dm:${part(peer.senderId)}`;
    case "per-account-channel-peer":
      return `${part(peer.channel)}:${part(peer.accountId ?? "default")}:dm:${part(peer.senderId)}`;
    default:
      return `${part(peer.channel)}:dm:${part(peer.senderId)}`;
  }
}
