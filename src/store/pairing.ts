// Pairing: a sender nobody allowed gets a short code; the owner approves it
// from the CLI (`switchboard pairing approve <channel> <code>`).
import { randomInt } from "node:crypto";
import { transaction, type Db } from "./db.ts";
import { approved, openedRequest, request, type ApprovedRow, type ReqRow } from "./rows.ts";
import type { ApprovedSender, PairingRequest, PairingStore } from "./types.ts";

/** No 0/O, 1/I/L: codes are read aloud and typed from a phone screen. */
export const PAIRING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
export const PAIRING_CODE_LENGTH = 8;
/** Open requests kept per channel; the oldest expire first when strangers keep coming. */
export const MAX_PENDING_PAIRING = 20;

/** A fresh code from a cryptographic source (31^8 ≈ 8.5e11 possibilities). */
export function newPairingCode(): string {
  let code = "";
  for (let i = 0; i < PAIRING_CODE_LENGTH; i++) code += PAIRING_ALPHABET[randomInt(PAIRING_ALPHABET.length)];
  return code;
}

/** What the owner typed, as stored: case, spaces and dashes do not matter ("abcd-efgh"). */
export function normalizePairingCode(input: string): string {
  return input.replace(/[\s-]+/g, "").toUpperCase();
}





export class SqlitePairingStore implements PairingStore {
  private readonly db: Db;
  private readonly q;

  constructor(db: Db) {
    this.db = db;
    this.q = {
      open: db.prepare("SELECT * FROM pairing_requests WHERE channel = ? AND sender_id = ? AND expires_at > ? ORDER BY created_at DESC LIMIT 1"),
      taken: db.prepare("SELECT 1 FROM pairing_requests WHERE channel = ? AND code = ?"),
      insert: db.prepare("INSERT INTO pairing_requests (channel, code, sender_id, label, chat_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)"),
      expire: db.prepare("DELETE FROM pairing_requests WHERE expires_at <= ?"),
      list: db.prepare("SELECT * FROM pairing_requests WHERE expires_at > ?1 AND (?2 IS NULL OR channel = ?2) ORDER BY created_at, channel, code"),
      byCode: db.prepare("SELECT * FROM pairing_requests WHERE channel = ? AND code = ? AND expires_at > ?"),
      dropSender: db.prepare("DELETE FROM pairing_requests WHERE channel = ? AND sender_id = ?"),
      // keeps the newest `limit` requests of a channel
      trim: db.prepare(
        "DELETE FROM pairing_requests WHERE channel = ?1 AND rowid NOT IN (SELECT rowid FROM pairing_requests WHERE channel = ?1 ORDER BY created_at DESC, rowid DESC LIMIT ?2)",
      ),
      approve: db.prepare(
        "INSERT INTO approved_senders (channel, sender_id, label, approved_at) VALUES (?, ?, ?, ?) ON CONFLICT(channel, sender_id) DO UPDATE SET label = coalesce(excluded.label, label), approved_at = excluded.approved_at",
      ),
      isApproved: db.prepare("SELECT 1 FROM approved_senders WHERE channel = ? AND sender_id = ?"),
      listApproved: db.prepare("SELECT * FROM approved_senders WHERE (?1 IS NULL OR channel = ?1) ORDER BY channel, approved_at, sender_id"),
      revoke: db.prepare("DELETE FROM approved_senders WHERE channel = ? AND sender_id = ?"),
    };
  }

  /**
   * The sender's open request while it lasts (same code however often they
   * write; `isNew` false), otherwise a new code valid for `ttlMs` (`isNew`
   * true: the only time the gateway tells the sender). Expired requests are
   * swept on the way, and beyond `maxPending` open requests per channel the
   * oldest are dropped, so a flood of strangers cannot grow the table.
   */
  requestCode(req: Omit<PairingRequest, "code" | "createdAt" | "expiresAt">, now: number, ttlMs: number, maxPending = MAX_PENDING_PAIRING): PairingRequest & { isNew: boolean } {
    return transaction(this.db, () => {
      this.q.expire.run(now);
      const open = this.q.open.get(req.channel, req.senderId, now) as ReqRow | undefined;
      if (open) return { ...request(open), isNew: false };
      let code = newPairingCode();
      while (this.q.taken.get(req.channel, code)) code = newPairingCode();
      this.q.insert.run(req.channel, code, req.senderId, req.label ?? null, req.chatId, now, now + ttlMs);
      this.q.trim.run(req.channel, Math.max(1, maxPending));
      return { ...openedRequest(req, code, now, ttlMs), isNew: true };
    });
  }

  /** unexpired requests, oldest first */
  listRequests(now: number, channel?: string): PairingRequest[] {
    return (this.q.list.all(now, channel ?? null) as unknown as ReqRow[]).map(request);
  }

  /** Case, spaces and dashes in `code` are ignored; an expired or unknown code (or another channel's) gives undefined. */
  approve(channel: string, code: string, now: number): ApprovedSender | undefined {
    return transaction(this.db, () => {
      const row = this.q.byCode.get(channel, normalizePairingCode(code), now) as ReqRow | undefined;
      if (!row) return undefined;
      this.q.approve.run(channel, row.sender_id, row.label, now);
      this.q.dropSender.run(channel, row.sender_id);
      return { channel, senderId: row.sender_id, approvedAt: now, ...(row.label !== null ? { label: row.label } : {}) };
    });
  }

  isApproved(channel: string, senderId: string): boolean {
    return this.q.isApproved.get(channel, senderId) !== undefined;
  }

  listApproved(channel?: string): ApprovedSender[] {
    return (this.q.listApproved.all(channel ?? null) as unknown as ApprovedRow[]).map(approved);
  }

  revoke(channel: string, senderId: string): boolean {
    return Number(this.q.revoke.run(channel, senderId).changes) > 0;
  }

  /** Turns a request down (the control page's "deny"): the code stops working; the sender may ask again later. */
  deny(channel: string, code: string): boolean {
    return transaction(this.db, () => {
      const row = this.q.byCode.get(channel, normalizePairingCode(code), 0) as ReqRow | undefined;
      if (!row) return false;
      this.q.dropSender.run(channel, row.sender_id);
      return true;
    });
  }
}
