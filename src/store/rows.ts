// Rows as both backends store them (snake_case columns) and the records the
// stores hand out: one definition for the SQLite and the PostgreSQL stores.
import type { ApprovedSender, InboundRecord, InboxState, OutboundRecord, OutboxState, PairingRequest, SessionRecord } from "./types.ts";

/** Errors are stored for `status`; a platform's error page is not worth keeping whole. */
export const MAX_ERROR_CHARS = 500;

export interface InRow {
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
  /** acceptInbound's RETURNING only: 1/0 (SQLite) or true/false (PostgreSQL) */
  known_session?: number | boolean | null;
}

export interface OutRow {
  id: number;
  channel: string;
  chat_id: string;
  reply_id: string;
  seq: number;
  chunk: string;
  state: OutboxState;
  attempts: number;
  not_before: number;
  created_at: number;
  sent_at: number | null;
  platform_message_id: string | null;
  last_error: string | null;
}

export function inbound(r: InRow): InboundRecord {
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
    ...(r.known_session != null ? { sessionExisted: Boolean(r.known_session) } : {}),
  };
}

export function outbound(r: OutRow): OutboundRecord {
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

export interface ReqRow {
  channel: string;
  code: string;
  sender_id: string;
  label: string | null;
  chat_id: string;
  created_at: number;
  expires_at: number;
}

export interface ApprovedRow {
  channel: string;
  sender_id: string;
  label: string | null;
  approved_at: number;
}

export function request(r: ReqRow): PairingRequest {
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

/** the request just stored for `req` under `code` */
export function openedRequest(req: Omit<PairingRequest, "code" | "createdAt" | "expiresAt">, code: string, now: number, ttlMs: number): PairingRequest {
  return {
    channel: req.channel,
    code,
    senderId: req.senderId,
    chatId: req.chatId,
    createdAt: now,
    expiresAt: now + ttlMs,
    ...(req.label !== undefined ? { label: req.label } : {}),
  };
}

export function approved(r: ApprovedRow): ApprovedSender {
  return { channel: r.channel, senderId: r.sender_id, approvedAt: r.approved_at, ...(r.label !== null ? { label: r.label } : {}) };
}

export interface SessionRow {
  key: string;
  created_at: number;
  updated_at: number;
  summary: string;
  channel: string | null;
  chat_id: string | null;
  last_prompt_tokens: number | null;
  last_model: string | null;
  message_count: number;
}

export function record(r: SessionRow): SessionRecord {
  return {
    key: r.key,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    summary: r.summary,
    messageCount: r.message_count,
    ...(r.channel !== null ? { channel: r.channel } : {}),
    ...(r.chat_id !== null ? { chatId: r.chat_id } : {}),
    ...(r.last_prompt_tokens !== null ? { lastPromptTokens: r.last_prompt_tokens } : {}),
    ...(r.last_model !== null ? { lastModel: r.last_model } : {}),
  };
}
