// Pairing: unknown senders get a short code; the owner approves it from the CLI.
import { randomInt } from "node:crypto";
import { transaction, type Db } from "./sqlite.ts";
import type { ApprovedSender, PairingRequest, PairingStore } from "./types.ts";

/** no 0/O, 1/I/L: codes are read aloud and typed from a phone screen */
const ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
export const PAIRING_CODE_LENGTH = 8;

export function newPairingCode(): string {
  let code = "";
  for (let i = 0; i < PAIRING_CODE_LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return code;
}

interface ReqRow {
  channel: string;
  code: string;
  sender_id: string;
  label: string | null;
  chat_id: string;
  created_at: number;
  expires_at: number;
}

function request(r: ReqRow): PairingRequest {
  return {
    channel: r.channel,
    code: r.code,
    senderId: r.sender_id,
    chatId: r.chat_id,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    ...(r.label !== null ? { label: r.label } : {}),
  };
}

export class SqlitePairingStore implements PairingStore {
  private readonly db: Db;
  private readonly q;

  constructor(db: Db) {
    this.db = db;
    this.q = {
      open: db.prepare("SELECT * FROM pairing_requests WHERE channel = ? AND sender_id = ? AND expires_at > ? ORDER BY created_at DESC LIMIT 1"),
      insert: db.prepare("INSERT INTO pairing_requests (channel, code, sender_id, label, chat_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)"),
      expire: db.prepare("DELETE FROM pairing_requests WHERE expires_at <= ?"),
      list: db.prepare("SELECT * FROM pairing_requests WHERE expires_at > ? ORDER BY created_at"),
      byCode: db.prepare("SELECT * FROM pairing_requests WHERE channel = ? AND code = ? AND expires_at > ?"),
      dropSender: db.prepare("DELETE FROM pairing_requests WHERE channel = ? AND sender_id = ?"),
      approve: db.prepare("INSERT OR REPLACE INTO approved_senders (channel, sender_id, label, approved_at) VALUES (?, ?, ?, ?)"),
      approved: db.prepare("SELECT 1 FROM approved_senders WHERE channel = ? AND sender_id = ?"),
      listApproved: db.prepare("SELECT * FROM approved_senders ORDER BY channel, approved_at"),
      revoke: db.prepare("DELETE FROM approved_senders WHERE channel = ? AND sender_id = ?"),
    };
  }

  requestCode(req: Omit<PairingRequest, "code" | "createdAt" | "expiresAt">, now: number, ttlMs: number): PairingRequest {
    return transaction(this.db, () => {
      this.q.expire.run(now);
      const open = this.q.open.get(req.channel, req.senderId, now) as ReqRow | undefined;
      if (open) return request(open);
      const code = newPairingCode();
      this.q.insert.run(req.channel, code, req.senderId, req.label ?? null, req.chatId, now, now + ttlMs);
      return { ...req, code, createdAt: now, expiresAt: now + ttlMs };
    });
  }

  listRequests(now: number, channel?: string): PairingRequest[] {
    return (this.q.list.all(now) as unknown as ReqRow[]).map(request).filter((r) => channel === undefined || r.channel === channel);
  }

  approve(channel: string, code: string, now: number): ApprovedSender | undefined {
    return transaction(this.db, () => {
      const row = this.q.byCode.get(channel, code.trim().toUpperCase(), now) as ReqRow | undefined;
      if (!row) return undefined;
      this.q.approve.run(channel, row.sender_id, row.label, now);
      this.q.dropSender.run(channel, row.sender_id);
      return { channel, senderId: row.sender_id, approvedAt: now, ...(row.label !== null ? { label: row.label } : {}) };
    });
  }

  isApproved(channel: string, senderId: string): boolean {
    return this.q.approved.get(channel, senderId) !== undefined;
  }

  listApproved(channel?: string): ApprovedSender[] {
    return (this.q.listApproved.all() as { channel: string; sender_id: string; label: string | null; approved_at: number }[])
      .filter((r) => channel === undefined || r.channel === channel)
      .map((r) => ({ channel: r.channel, senderId: r.sender_id, approvedAt: r.approved_at, ...(r.label !== null ? { label: r.label } : {}) }));
  }

  revoke(channel: string, senderId: string): boolean {
    return this.q.revoke.run(channel, senderId).changes > 0;
  }
}
