// Inbox and outbox: the durable half of "exactly one reply, nothing lost".
import { transaction, type Db } from "./sqlite.ts";
import type { DeliveryStore, InboundRecord, InboxState, OutboundRecord } from "./types.ts";

interface InRow {
  id: number;
  channel: string;
  chat_id: string;
  message_id: string;
  session_key: string;
  sender_id: string;
  payload: string;
  state: InboxState;
  received_at: number;
  turn_id: string | null;
  error: string | null;
}

interface OutRow {
  id: number;
  channel: string;
  chat_id: string;
  reply_id: string;
  seq: number;
  chunk: string;
  state: OutboundRecord["state"];
  attempts: number;
  not_before: number;
  created_at: number;
  sent_at: number | null;
  platform_message_id: string | null;
  last_error: string | null;
}

function inbound(r: InRow): InboundRecord {
  return {
    id: r.id,
    channel: r.channel,
    chatId: r.chat_id,
    messageId: r.message_id,
    sessionKey: r.session_key,
    senderId: r.sender_id,
    payload: JSON.parse(r.payload) as unknown,
    state: r.state,
    receivedAt: r.received_at,
    ...(r.turn_id !== null ? { turnId: r.turn_id } : {}),
    ...(r.error !== null ? { error: r.error } : {}),
  };
}

function outbound(r: OutRow): OutboundRecord {
  return {
    id: r.id,
    channel: r.channel,
    chatId: r.chat_id,
    replyId: r.reply_id,
    seq: r.seq,
    chunk: JSON.parse(r.chunk) as unknown,
    state: r.state,
    attempts: r.attempts,
    notBefore: r.not_before,
    createdAt: r.created_at,
    ...(r.sent_at !== null ? { sentAt: r.sent_at } : {}),
    ...(r.platform_message_id !== null ? { platformMessageId: r.platform_message_id } : {}),
    ...(r.last_error !== null ? { lastError: r.last_error } : {}),
  };
}

export class SqliteDeliveryStore implements DeliveryStore {
  private readonly db: Db;
  private readonly q;

  constructor(db: Db) {
    this.db = db;
    this.q = {
      accept: db.prepare(
        "INSERT OR IGNORE INTO inbox (channel, chat_id, message_id, session_key, sender_id, payload, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ),
      byId: db.prepare("SELECT * FROM inbox WHERE id = ?"),
      pendingAll: db.prepare("SELECT * FROM inbox WHERE state IN ('pending', 'processing') ORDER BY id"),
      pendingOf: db.prepare("SELECT * FROM inbox WHERE state IN ('pending', 'processing') AND session_key = ? ORDER BY id"),
      openSessions: db.prepare("SELECT DISTINCT session_key FROM inbox WHERE state IN ('pending', 'processing') ORDER BY session_key"),
      mark: db.prepare("UPDATE inbox SET state = ?, turn_id = coalesce(?, turn_id), error = coalesce(?, error) WHERE id = ?"),
      enqueue: db.prepare("INSERT INTO outbox (channel, chat_id, reply_id, seq, chunk, created_at) VALUES (?, ?, ?, ?, ?, ?)"),
      outById: db.prepare("SELECT * FROM outbox WHERE id = ?"),
      due: db.prepare("SELECT * FROM outbox WHERE state = 'pending' AND not_before <= ? ORDER BY id"),
      dueOf: db.prepare("SELECT * FROM outbox WHERE state = 'pending' AND not_before <= ? AND channel = ? ORDER BY id"),
      sent: db.prepare("UPDATE outbox SET state = 'sent', sent_at = ?, platform_message_id = ?, attempts = attempts + 1 WHERE id = ?"),
      failed: db.prepare("UPDATE outbox SET state = ?, attempts = attempts + 1, not_before = ?, last_error = ? WHERE id = ?"),
      dead: db.prepare("SELECT * FROM outbox WHERE state = 'dead' ORDER BY id DESC LIMIT ?"),
      pruneIn: db.prepare("DELETE FROM inbox WHERE state IN ('done', 'failed') AND received_at < ?"),
      pruneOut: db.prepare("DELETE FROM outbox WHERE state = 'sent' AND created_at < ?"),
      counts: db.prepare(
        "SELECT (SELECT count(*) FROM inbox WHERE state IN ('pending','processing')) AS inbound, (SELECT count(*) FROM outbox WHERE state = 'pending') AS outbound, (SELECT count(*) FROM outbox WHERE state = 'dead') AS dead",
      ),
    };
  }

  acceptInbound(msg: Omit<InboundRecord, "id" | "state" | "turnId" | "error">): InboundRecord | undefined {
    const res = this.q.accept.run(msg.channel, msg.chatId, msg.messageId, msg.sessionKey, msg.senderId, JSON.stringify(msg.payload ?? null), msg.receivedAt);
    if (res.changes === 0) return undefined;
    return inbound(this.q.byId.get(Number(res.lastInsertRowid)) as unknown as InRow);
  }

  pendingInbound(sessionKey?: string): InboundRecord[] {
    const rows = sessionKey === undefined ? this.q.pendingAll.all() : this.q.pendingOf.all(sessionKey);
    return (rows as unknown as InRow[]).map(inbound);
  }

  sessionsWithPendingInbound(): string[] {
    return (this.q.openSessions.all() as { session_key: string }[]).map((r) => r.session_key);
  }

  markInbound(ids: number[], state: InboxState, extra: { turnId?: string; error?: string } = {}): void {
    transaction(this.db, () => {
      for (const id of ids) this.q.mark.run(state, extra.turnId ?? null, extra.error ?? null, id);
    });
  }

  enqueueReply(reply: { channel: string; chatId: string; replyId: string; chunks: unknown[]; answers: number[]; now: number }): OutboundRecord[] {
    return transaction(this.db, () => {
      const out: OutboundRecord[] = [];
      reply.chunks.forEach((chunk, seq) => {
        const res = this.q.enqueue.run(reply.channel, reply.chatId, reply.replyId, seq, JSON.stringify(chunk), reply.now);
        out.push(outbound(this.q.outById.get(Number(res.lastInsertRowid)) as unknown as OutRow));
      });
      for (const id of reply.answers) this.q.mark.run("done", reply.replyId, null, id);
      return out;
    });
  }

  pendingOutbound(now: number, channel?: string): OutboundRecord[] {
    const rows = channel === undefined ? this.q.due.all(now) : this.q.dueOf.all(now, channel);
    return (rows as unknown as OutRow[]).map(outbound);
  }

  markSent(id: number, platformMessageId: string, now: number): void {
    this.q.sent.run(now, platformMessageId, id);
  }

  markFailed(id: number, error: string, notBefore: number, dead: boolean): void {
    this.q.failed.run(dead ? "dead" : "pending", notBefore, error.slice(0, 500), id);
  }

  deadLetters(limit = 50): OutboundRecord[] {
    return (this.q.dead.all(limit) as unknown as OutRow[]).map(outbound);
  }

  prune(before: number): number {
    return transaction(this.db, () => Number(this.q.pruneIn.run(before).changes) + Number(this.q.pruneOut.run(before).changes));
  }

  /** queue depths for status and metrics */
  counts(): { inboundPending: number; outboundPending: number; dead: number } {
    const r = this.q.counts.get() as { inbound: number; outbound: number; dead: number };
    return { inboundPending: r.inbound, outboundPending: r.outbound, dead: r.dead };
  }
}
