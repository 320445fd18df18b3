// Inbox and outbox: the durable half of "every message answered exactly once,
// nothing lost". An inbound message is stored (deduped) before the platform
// is acknowledged; its reply's chunks and its "done" mark are committed
// together; chunks the platform accepted are marked sent together, once the
// outbox's page of sends is done (one commit per page, not per chunk).
import { SwitchboardError } from "../core/errors.ts";
import { transaction, writeTogether, type Db } from "./db.ts";
import { MultiRowInsert } from "./multi-row.ts";
import { inbound, MAX_ERROR_CHARS, outbound, type InRow, type OutRow } from "./rows.ts";
import type { DeliveryStore, InboundRecord, InboxState, OutboundRecord, SentMark } from "./types.ts";



/** SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY (extended result codes) */
function uniqueViolation(err: unknown): boolean {
  const code = (err as { errcode?: number }).errcode;
  return code === 2067 || code === 1555;
}


// A chunk is due when it is pending, its not-before time has come, and no
// earlier chunk of the same reply is pending with a later not-before: part 2
// never overtakes a part 1 that is waiting out a rate limit. (An earlier
// chunk that is due comes first in the list; a dead one holds nothing back.)
// A reply's first chunk (seq 0, most replies' only one) has no earlier chunk:
// the lookup by reply id never runs for it (SQLite stops at the first true
// term of an OR).
const DUE_CONDITION = `o.state = 'pending' AND o.not_before <= ?1
    AND (o.seq = 0 OR NOT EXISTS (SELECT 1 FROM outbox e WHERE e.reply_id = o.reply_id AND e.seq < o.seq AND e.state = 'pending' AND e.not_before > ?1))`;
// Replies in the order they were stored, then by seq: on SQLite that is id
// order. AUTOINCREMENT ids only grow, and a reply's chunks are inserted by
// one statement, in seq order, on the one connection. So a channel's due
// chunks come straight from outbox_open (channel, then rowid: schema 6) with
// no sort. Ordering by each reply's first id cost a lookup per row and a
// sort: the statement took twice as long on a lone reply.
const DUE_ON_CHANNEL = `SELECT o.* FROM outbox o WHERE o.channel = ?2 AND ${DUE_CONDITION} ORDER BY o.id LIMIT ?3`;
// every channel's (tests, tools): the waiting rows from the index, then sorted (scanning the table in id order would read all its history)
const DUE_ANYWHERE = `SELECT o.* FROM outbox o INDEXED BY outbox_open WHERE ${DUE_CONDITION} ORDER BY o.id LIMIT ?2`;

export class SqliteDeliveryStore implements DeliveryStore {
  private readonly db: Db;
  private readonly q;
  private readonly enqueue: MultiRowInsert;

  constructor(db: Db) {
    this.db = db;
    // a reply's chunks in one statement; RETURNING gives the stored rows back (in no set order: sorted by seq)
    this.enqueue = new MultiRowInsert(db, (values) => `INSERT INTO outbox (channel, chat_id, reply_id, seq, chunk, created_at) VALUES ${values} RETURNING *`, "(?, ?, ?, ?, ?, ?)");
    this.q = {
      // RETURNING: the new row's id comes back from the insert itself (no row for a duplicate), with
      // whether its session exists yet (a new chat's first turn has no history to read); the rest of
      // the record is what was given (the payload is not copied back and parsed again: it may be megabytes)
      accept: db.prepare(
        `INSERT OR IGNORE INTO inbox (channel, chat_id, message_id, session_key, sender_id, payload, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         RETURNING id, EXISTS (SELECT 1 FROM sessions WHERE key = inbox.session_key) AS known_session`,
      ),
      // one session's in id order straight from inbox_open (session_key, id); every session's by scanning it
      openOf: db.prepare("SELECT * FROM inbox WHERE state IN ('pending', 'processing') AND session_key = ? ORDER BY id"),
      open: db.prepare("SELECT * FROM inbox INDEXED BY inbox_open WHERE state IN ('pending', 'processing') ORDER BY id"),
      openSessions: db.prepare("SELECT session_key FROM inbox WHERE state IN ('pending', 'processing') GROUP BY session_key ORDER BY min(id)"),
      // every row of a turn in one statement: the ids as a JSON array
      mark: db.prepare("UPDATE inbox SET state = ?, turn_id = coalesce(?, turn_id), error = coalesce(?, error) WHERE id IN (SELECT value FROM json_each(?))"),
      // the common case (a turn of one message) without the JSON array
      markOne: db.prepare("UPDATE inbox SET state = ?, turn_id = coalesce(?, turn_id), error = coalesce(?, error) WHERE id = ?"),
      replyExists: db.prepare("SELECT 1 FROM outbox WHERE reply_id = ? LIMIT 1"),
      dueOn: db.prepare(DUE_ON_CHANNEL),
      dueAnywhere: db.prepare(DUE_ANYWHERE),
      sentOne: db.prepare("UPDATE outbox SET state = 'sent', sent_at = ?, platform_message_id = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?"),
      // any number of chunks in one statement: [[id, platform message id], …] as a JSON array
      sent: db.prepare(
        `UPDATE outbox SET state = 'sent', sent_at = ?1, platform_message_id = s.value ->> 1, attempts = attempts + 1, last_error = NULL
         FROM json_each(?2) AS s WHERE outbox.id = s.value ->> 0`,
      ),
      failed: db.prepare("UPDATE outbox SET state = ?, attempts = attempts + ?, not_before = ?, last_error = ? WHERE id = ? AND state = 'pending'"),
      dead: db.prepare("SELECT * FROM outbox WHERE state = 'dead' ORDER BY id DESC LIMIT ?"),
      waitingChannels: db.prepare("SELECT DISTINCT channel FROM outbox WHERE state = 'pending'"),
      nextDue: db.prepare("SELECT min(not_before) AS at FROM outbox WHERE state = 'pending'"),
      retryDead: db.prepare("UPDATE outbox SET state = 'pending', not_before = ?, last_error = NULL WHERE id = ? AND state = 'dead'"),
      dropDead: db.prepare("DELETE FROM outbox WHERE id = ? AND state = 'dead'"),
      // Rows are stored in time order, so the old ones are the table's first rows: find the first row young
      // enough to keep (reading from the start, it stops there) and delete answered rows before it, by rowid.
      // No age index to keep up to date on every answer and send; a row stored behind a younger one (the
      // clock stepped back) goes with the next prune after that one.
      pruneIn: db.prepare(
        `DELETE FROM inbox WHERE id < coalesce((SELECT y.id FROM inbox y WHERE y.received_at >= ?1 ORDER BY y.id LIMIT 1), 1 << 62)
           AND state IN ('done', 'failed') AND received_at < ?1`,
      ),
      pruneOut: db.prepare(
        `DELETE FROM outbox WHERE id < coalesce((SELECT y.id FROM outbox y WHERE y.created_at >= ?1 ORDER BY y.id LIMIT 1), 1 << 62)
           AND state = 'sent' AND created_at < ?1`,
      ),
      counts: db.prepare(
        `SELECT (SELECT count(*) FROM inbox WHERE state IN ('pending', 'processing')) AS inbound,
                (SELECT count(*) FROM outbox WHERE state = 'pending') AS outbound,
                (SELECT count(*) FROM outbox WHERE state = 'dead') AS dead`,
      ),
    };
  }

  acceptInbound(msg: Omit<InboundRecord, "id" | "state" | "turnId" | "error">): InboundRecord | undefined {
    const row = this.q.accept.get(msg.channel, msg.chatId, msg.messageId, msg.sessionKey, msg.senderId, JSON.stringify(msg.payload ?? null), msg.receivedAt) as
      | { id: number; known_session: number }
      | undefined;
    if (!row) return undefined;
    return {
      id: row.id,
      channel: msg.channel,
      chatId: msg.chatId,
      messageId: msg.messageId,
      sessionKey: msg.sessionKey,
      senderId: msg.senderId,
      payload: msg.payload ?? null,
      state: "pending",
      receivedAt: msg.receivedAt,
      sessionExisted: row.known_session === 1,
    };
  }

  pendingInbound(sessionKey?: string): InboundRecord[] {
    return ((sessionKey === undefined ? this.q.open.all() : this.q.openOf.all(sessionKey)) as unknown as InRow[]).map(inbound);
  }

  /** oldest waiting message first, so recovery answers people in the order they wrote */
  sessionsWithPendingInbound(): string[] {
    return (this.q.openSessions.all() as { session_key: string }[]).map((r) => r.session_key);
  }

  markInbound(ids: number[], state: InboxState, extra: { turnId?: string; error?: string } = {}): void {
    const error = extra.error === undefined ? null : extra.error.slice(0, MAX_ERROR_CHARS);
    // one statement: all rows or none, no transaction needed
    this.mark(ids, state, extra.turnId ?? null, error);
  }

  /**
   * One transaction: every chunk (seq 0, 1, …) and the "done" mark (turnId =
   * replyId) of every answered inbound row, or nothing at all. A replyId that
   * is already queued is refused with a SwitchboardError and changes nothing.
   * Two statements (chunks, marks) in the caller's transaction, no savepoint:
   * the chunks' insert is the only one that can fail on a constraint.
   */
  enqueueReply(reply: { channel: string; chatId: string; replyId: string; chunks: unknown[]; answers: number[]; now: number }): OutboundRecord[] {
    const taken = () => new SwitchboardError("store", `reply ${reply.replyId} is already in the outbox; each reply needs its own id`);
    const rows = reply.chunks.map((chunk, seq) => [reply.channel, reply.chatId, reply.replyId, seq, JSON.stringify(chunk ?? null), reply.now]);
    return writeTogether(this.db, () => {
      // with chunks, UNIQUE (reply_id, seq) refuses a reused id on the insert itself (no lookup first)
      if (rows.length === 0 && this.q.replyExists.get(reply.replyId)) throw taken();
      let out: OutboundRecord[];
      try {
        out = this.enqueue.groups(rows, (st, params) => st.all(...params) as unknown as OutRow[]).flat().map(outbound);
      } catch (err) {
        if (uniqueViolation(err)) throw taken();
        throw err;
      }
      out.sort((a, b) => a.seq - b.seq);
      this.mark(reply.answers, "done", reply.replyId, null);
      return out;
    });
  }

  /** one statement for any number of rows */
  private mark(ids: number[], state: InboxState, turnId: string | null, error: string | null): void {
    if (ids.length === 1) this.q.markOne.run(state, turnId, error, ids[0]!);
    else if (ids.length > 1) this.q.mark.run(state, turnId, error, JSON.stringify(ids));
  }

  /** channels with chunks still to send (cheap: no chunk is read) */
  channelsWithPendingOutbound(): string[] {
    return (this.q.waitingChannels.all() as { channel: string }[]).map((r) => r.channel);
  }

  /** the earliest not-before time of a chunk still to send, or undefined when none waits */
  nextOutboundAt(): number | undefined {
    return (this.q.nextDue.get() as { at: number | null }).at ?? undefined;
  }

  /** true when a reply with this id was queued (sent or not) */
  hasReply(replyId: string): boolean {
    return this.q.replyExists.get(replyId) !== undefined;
  }

  pendingOutbound(now: number, channel?: string, limit?: number): OutboundRecord[] {
    // SQLite reads LIMIT -1 as "no limit"
    const rows = channel === undefined ? this.q.dueAnywhere.all(now, limit ?? -1) : this.q.dueOn.all(now, channel, limit ?? -1);
    return (rows as unknown as OutRow[]).map(outbound);
  }

  /** one statement for any number of chunks (the common lone reply without the JSON array) */
  markSent(sent: SentMark[], now: number): void {
    if (sent.length === 1) this.q.sentOne.run(now, sent[0]!.platformMessageId, sent[0]!.id);
    else if (sent.length > 1) this.q.sent.run(now, JSON.stringify(sent.map((s) => [s.id, s.platformMessageId])));
  }

  /** Counts an attempt (unless `counted` is false); a chunk already sent or dead is left as it is. */
  markFailed(id: number, error: string, notBefore: number, dead: boolean, counted = true): void {
    this.q.failed.run(dead ? "dead" : "pending", counted ? 1 : 0, notBefore, error.slice(0, MAX_ERROR_CHARS), id);
  }

  /** newest first */
  deadLetters(limit = 50): OutboundRecord[] {
    return (this.q.dead.all(limit) as unknown as OutRow[]).map(outbound);
  }

  /** Deletes answered (done or failed) inbound and sent outbound rows older than `before`; dead letters stay. */
  prune(before: number): number {
    return transaction(this.db, () => Number(this.q.pruneIn.run(before).changes) + Number(this.q.pruneOut.run(before).changes));
  }

  /** a dead letter goes back to the queue (a person fixed what made it fail) */
  retryDead(id: number, now: number): boolean {
    return Number(this.q.retryDead.run(now, id).changes) > 0;
  }

  /** a dead letter is given up for good */
  dropDead(id: number): boolean {
    return Number(this.q.dropDead.run(id).changes) > 0;
  }

  /** queue depths for status and metrics */
  counts(): { inboundPending: number; outboundPending: number; dead: number } {
    const r = this.q.counts.get() as { inbound: number; outbound: number; dead: number };
    return { inboundPending: r.inbound, outboundPending: r.outbound, dead: r.dead };
  }
}
