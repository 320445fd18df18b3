// Inbox and outbox on PostgreSQL, with SQLite's semantics (../delivery.ts).
// Several gateways may receive the same platform message at once (a webhook
// retried to another gateway): the unique (channel, chat_id, message_id)
// with ON CONFLICT DO NOTHING lets exactly one of them store it. A reply id
// queued twice is refused by the unique (reply_id, seq) even when two
// transactions race past the existence check.
import { SwitchboardError } from "../../core/errors.ts";
import type { AsyncDeliveryStore } from "../backend.ts";
import { inbound, MAX_ERROR_CHARS, outbound, type InRow, type OutRow } from "../rows.ts";
import type { InboundRecord, InboxState, OutboundRecord, SentMark } from "../types.ts";
import { isUniqueViolation, type Sql } from "./sql.ts";

// Due chunks: see DUE_CONDITION in ../delivery.ts (part 2 never overtakes a part 1
// waiting out a rate limit; replies in the order they were stored).
const DUE = `SELECT o.* FROM outbox o
  WHERE o.state = 'pending' AND o.not_before <= $1 AND ($2::text IS NULL OR o.channel = $2)
    AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.reply_id = o.reply_id AND e.seq < o.seq AND e.state = 'pending' AND e.not_before > $1)
  ORDER BY (SELECT min(f.id) FROM outbox f WHERE f.reply_id = o.reply_id), o.seq
  LIMIT $3`;

const MARK = "UPDATE inbox SET state = $1, turn_id = coalesce($2, turn_id), error = coalesce($3, error) WHERE id = ANY($4::bigint[])";

function duplicateReply(replyId: string): SwitchboardError {
  return new SwitchboardError("store", `reply ${replyId} is already in the outbox; each reply needs its own id`);
}

export class PgDeliveryStore implements AsyncDeliveryStore {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  async acceptInbound(msg: Omit<InboundRecord, "id" | "state" | "turnId" | "error">): Promise<InboundRecord | undefined> {
    const { rows } = await this.sql.query<InRow>(
      `INSERT INTO inbox (channel, chat_id, message_id, session_key, sender_id, payload, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (channel, chat_id, message_id) DO NOTHING
       RETURNING *, EXISTS (SELECT 1 FROM sessions WHERE key = inbox.session_key) AS known_session`,
      [msg.channel, msg.chatId, msg.messageId, msg.sessionKey, msg.senderId, JSON.stringify(msg.payload ?? null), msg.receivedAt],
    );
    return rows[0] ? inbound(rows[0]) : undefined;
  }

  async pendingInbound(sessionKey?: string): Promise<InboundRecord[]> {
    const { rows } = await this.sql.query<InRow>("SELECT * FROM inbox WHERE state IN ('pending', 'processing') AND ($1::text IS NULL OR session_key = $1) ORDER BY id", [sessionKey ?? null]);
    return rows.map(inbound);
  }

  /** oldest waiting message first, so recovery answers people in the order they wrote */
  async sessionsWithPendingInbound(): Promise<string[]> {
    const { rows } = await this.sql.query<{ session_key: string }>("SELECT session_key FROM inbox WHERE state IN ('pending', 'processing') GROUP BY session_key ORDER BY min(id)");
    return rows.map((r) => r.session_key);
  }

  async markInbound(ids: number[], state: InboxState, extra: { turnId?: string; error?: string } = {}): Promise<void> {
    const error = extra.error === undefined ? null : extra.error.slice(0, MAX_ERROR_CHARS);
    await this.sql.query(MARK, [state, extra.turnId ?? null, error, ids]);
  }

  /** One transaction: every chunk and the "done" mark of every answered inbound row, or nothing. */
  enqueueReply(reply: { channel: string; chatId: string; replyId: string; chunks: unknown[]; answers: number[]; now: number }): Promise<OutboundRecord[]> {
    return this.sql
      .tx(async (sql) => {
        if ((await sql.query("SELECT 1 FROM outbox WHERE reply_id = $1 LIMIT 1", [reply.replyId])).rowCount) throw duplicateReply(reply.replyId);
        const out: OutboundRecord[] = [];
        if (reply.chunks.length > 0) {
          const { rows } = await sql.query<OutRow>(
            `INSERT INTO outbox (channel, chat_id, reply_id, seq, chunk, created_at)
             SELECT $1, $2, $3, c.ord - 1, c.chunk, $4 FROM unnest($5::text[]) WITH ORDINALITY AS c(chunk, ord) ORDER BY c.ord
             RETURNING *`,
            [reply.channel, reply.chatId, reply.replyId, reply.now, reply.chunks.map((c) => JSON.stringify(c ?? null))],
          );
          out.push(...rows.sort((a, b) => a.seq - b.seq).map(outbound));
        }
        if (reply.answers.length > 0) await sql.query(MARK, ["done", reply.replyId, null, reply.answers]);
        return out;
      })
      .catch((err: unknown) => {
        throw isUniqueViolation(err) ? duplicateReply(reply.replyId) : err;
      });
  }

  async pendingOutbound(now: number, channel?: string, limit?: number): Promise<OutboundRecord[]> {
    // PostgreSQL reads LIMIT NULL as "no limit"
    return (await this.sql.query<OutRow>(DUE, [now, channel ?? null, limit ?? null])).rows.map(outbound);
  }

  /** one statement for any number of chunks */
  async markSent(sent: SentMark[], now: number): Promise<void> {
    if (sent.length === 0) return;
    await this.sql.query(
      `UPDATE outbox o SET state = 'sent', sent_at = $1, platform_message_id = s.mid, attempts = o.attempts + 1, last_error = NULL
       FROM unnest($2::bigint[], $3::text[]) AS s(id, mid) WHERE o.id = s.id`,
      [now, sent.map((s) => s.id), sent.map((s) => s.platformMessageId)],
    );
  }

  /** channels with chunks still to send (cheap: no chunk is read) */
  async channelsWithPendingOutbound(): Promise<string[]> {
    return (await this.sql.query<{ channel: string }>("SELECT DISTINCT channel FROM outbox WHERE state = 'pending'")).rows.map((r) => r.channel);
  }

  /** the earliest not-before time of a chunk still to send, or undefined when none waits */
  async nextOutboundAt(): Promise<number | undefined> {
    return (await this.sql.query<{ at: number | null }>("SELECT min(not_before) AS at FROM outbox WHERE state = 'pending'")).rows[0]?.at ?? undefined;
  }

  /** true when a reply with this id was queued (sent or not) */
  async hasReply(replyId: string): Promise<boolean> {
    return ((await this.sql.query("SELECT 1 FROM outbox WHERE reply_id = $1 LIMIT 1", [replyId])).rowCount ?? 0) > 0;
  }

  /** Counts an attempt (unless `counted` is false); a chunk already sent or dead is left as it is. */
  async markFailed(id: number, error: string, notBefore: number, dead: boolean, counted = true): Promise<void> {
    await this.sql.query("UPDATE outbox SET state = $1, attempts = attempts + $2, not_before = $3, last_error = $4 WHERE id = $5 AND state = 'pending'", [
      dead ? "dead" : "pending",
      counted ? 1 : 0,
      notBefore,
      error.slice(0, MAX_ERROR_CHARS),
      id,
    ]);
  }

  /** newest first */
  async deadLetters(limit = 50): Promise<OutboundRecord[]> {
    return (await this.sql.query<OutRow>("SELECT * FROM outbox WHERE state = 'dead' ORDER BY id DESC LIMIT $1", [limit])).rows.map(outbound);
  }

  /** Deletes answered (done or failed) inbound and sent outbound rows older than `before`; dead letters stay. */
  prune(before: number): Promise<number> {
    return this.sql.tx(async (sql) => {
      const a = await sql.query("DELETE FROM inbox WHERE state IN ('done', 'failed') AND received_at < $1", [before]);
      const b = await sql.query("DELETE FROM outbox WHERE state = 'sent' AND created_at < $1", [before]);
      return (a.rowCount ?? 0) + (b.rowCount ?? 0);
    });
  }

  /** a dead letter goes back to the queue (a person fixed what made it fail) */
  async retryDead(id: number, now: number): Promise<boolean> {
    return ((await this.sql.query("UPDATE outbox SET state = 'pending', not_before = $1, last_error = NULL WHERE id = $2 AND state = 'dead'", [now, id])).rowCount ?? 0) > 0;
  }

  /** a dead letter is given up for good */
  async dropDead(id: number): Promise<boolean> {
    return ((await this.sql.query("DELETE FROM outbox WHERE id = $1 AND state = 'dead'", [id])).rowCount ?? 0) > 0;
  }

  /** queue depths for status and metrics */
  async counts(): Promise<{ inboundPending: number; outboundPending: number; dead: number }> {
    const { rows } = await this.sql.query<{ inbound: number; outbound: number; dead: number }>(
      `SELECT (SELECT count(*) FROM inbox WHERE state IN ('pending', 'processing')) AS inbound,
              (SELECT count(*) FROM outbox WHERE state = 'pending') AS outbound,
              (SELECT count(*) FROM outbox WHERE state = 'dead') AS dead`,
    );
    const r = rows[0]!;
    return { inboundPending: r.inbound, outboundPending: r.outbound, dead: r.dead };
  }
}
