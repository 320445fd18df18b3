// Pairing on PostgreSQL, with SQLite's semantics (../pairing.ts). A request
// takes a per-channel advisory lock for its transaction, so two gateways
// hearing the same stranger at once hand out one code, and the per-channel
// cap holds however many gateways write.
import type { AsyncPairingStore } from "../backend.ts";
import { MAX_PENDING_PAIRING, newPairingCode, normalizePairingCode } from "../pairing.ts";
import { approved, openedRequest, request, type ApprovedRow, type ReqRow } from "../rows.ts";
import type { ApprovedSender, PairingRequest } from "../types.ts";
import type { Sql } from "./sql.ts";

const COLUMNS = "channel, code, sender_id, label, chat_id, created_at, expires_at";

export class PgPairingStore implements AsyncPairingStore {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  /** The sender's open request while it lasts (isNew false), else a new code; expired requests swept, the oldest beyond `maxPending` dropped. */
  requestCode(req: Omit<PairingRequest, "code" | "createdAt" | "expiresAt">, now: number, ttlMs: number, maxPending = MAX_PENDING_PAIRING): Promise<PairingRequest & { isNew: boolean }> {
    return this.sql.tx(async (sql) => {
      await sql.query("SELECT pg_advisory_xact_lock(hashtextextended('switchboard.pairing:' || $1, 0))", [req.channel]);
      await sql.query("DELETE FROM pairing_requests WHERE expires_at <= $1", [now]);
      const open = await sql.query<ReqRow>(`SELECT ${COLUMNS} FROM pairing_requests WHERE channel = $1 AND sender_id = $2 AND expires_at > $3 ORDER BY created_at DESC LIMIT 1`, [
        req.channel,
        req.senderId,
        now,
      ]);
      if (open.rows[0]) return { ...request(open.rows[0]), isNew: false };
      let code = newPairingCode();
      while ((await sql.query("SELECT 1 FROM pairing_requests WHERE channel = $1 AND code = $2", [req.channel, code])).rowCount) code = newPairingCode();
      await sql.query(`INSERT INTO pairing_requests (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [req.channel, code, req.senderId, req.label ?? null, req.chatId, now, now + ttlMs]);
      await sql.query(
        "DELETE FROM pairing_requests WHERE channel = $1 AND id NOT IN (SELECT id FROM pairing_requests WHERE channel = $1 ORDER BY created_at DESC, id DESC LIMIT $2)",
        [req.channel, Math.max(1, maxPending)],
      );
      return { ...openedRequest(req, code, now, ttlMs), isNew: true };
    });
  }

  /** unexpired requests, oldest first */
  async listRequests(now: number, channel?: string): Promise<PairingRequest[]> {
    const { rows } = await this.sql.query<ReqRow>(`SELECT ${COLUMNS} FROM pairing_requests WHERE expires_at > $1 AND ($2::text IS NULL OR channel = $2) ORDER BY created_at, channel, code`, [
      now,
      channel ?? null,
    ]);
    return rows.map(request);
  }

  /** Case, spaces and dashes in `code` are ignored; an expired or unknown code (or another channel's) gives undefined. */
  approve(channel: string, code: string, now: number): Promise<ApprovedSender | undefined> {
    return this.sql.tx(async (sql) => {
      const found = await sql.query<ReqRow>(`SELECT ${COLUMNS} FROM pairing_requests WHERE channel = $1 AND code = $2 AND expires_at > $3 FOR UPDATE`, [channel, normalizePairingCode(code), now]);
      const row = found.rows[0];
      if (!row) return undefined;
      await sql.query(
        `INSERT INTO approved_senders (channel, sender_id, label, approved_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (channel, sender_id) DO UPDATE SET label = coalesce(excluded.label, approved_senders.label), approved_at = excluded.approved_at`,
        [channel, row.sender_id, row.label, now],
      );
      await sql.query("DELETE FROM pairing_requests WHERE channel = $1 AND sender_id = $2", [channel, row.sender_id]);
      return { channel, senderId: row.sender_id, approvedAt: now, ...(row.label !== null ? { label: row.label } : {}) };
    });
  }

  async isApproved(channel: string, senderId: string): Promise<boolean> {
    return ((await this.sql.query("SELECT 1 FROM approved_senders WHERE channel = $1 AND sender_id = $2", [channel, senderId])).rowCount ?? 0) > 0;
  }

  async listApproved(channel?: string): Promise<ApprovedSender[]> {
    const { rows } = await this.sql.query<ApprovedRow>("SELECT * FROM approved_senders WHERE ($1::text IS NULL OR channel = $1) ORDER BY channel, approved_at, sender_id", [channel ?? null]);
    return rows.map(approved);
  }

  async revoke(channel: string, senderId: string): Promise<boolean> {
    return ((await this.sql.query("DELETE FROM approved_senders WHERE channel = $1 AND sender_id = $2", [channel, senderId])).rowCount ?? 0) > 0;
  }

  /** Turns a request down: the code stops working; the sender may ask again later. */
  deny(channel: string, code: string): Promise<boolean> {
    return this.sql.tx(async (sql) => {
      const found = await sql.query<{ sender_id: string }>("SELECT sender_id FROM pairing_requests WHERE channel = $1 AND code = $2", [channel, normalizePairingCode(code)]);
      const row = found.rows[0];
      if (!row) return false;
      await sql.query("DELETE FROM pairing_requests WHERE channel = $1 AND sender_id = $2", [channel, row.sender_id]);
      return true;
    });
  }
}
