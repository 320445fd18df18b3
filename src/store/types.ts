// What the rest of the program asks of persistent storage. The SQLite
// implementation lives beside this file; tests may use it on a temp file.
import type { ChatMessage } from "../core/chat.ts";

// ---- sessions -------------------------------------------------------------

export interface SessionRecord {
  key: string;
  createdAt: number;
  updatedAt: number;
  /** summary of the turns compacted away; "" when none */
  summary: string;
  /** the chat the session last spoke in (for heartbeat delivery and /status) */
  channel?: string;
  chatId?: string;
  /** messages currently in the active history */
  messageCount: number;
  /** prompt tokens the provider reported for the last call, when known */
  lastPromptTokens?: number;
  /** model entry id that answered last */
  lastModel?: string;
}

export interface StoredMessage {
  /** monotonically increasing across the whole store */
  id: number;
  message: ChatMessage;
  createdAt: number;
}

/** What a turn reads of its session before calling the model: one read, both parts. */
export interface TurnContext {
  summary: string;
  /** the active history, oldest first */
  history: StoredMessage[];
}

/** What a finished turn writes to its session (SessionStore.saveTurn). */
export interface TurnSave {
  /** the chat the turn spoke in (kept when absent) */
  channel?: string;
  chatId?: string;
  /** the turn's messages, appended in order */
  messages: ChatMessage[];
  /** the prompt size the provider reported for the turn's last call (kept when absent) */
  promptTokens?: number;
  /** the model entry that answered (kept when absent) */
  model?: string;
  now: number;
}

export interface SessionStore {
  getSession(key: string): SessionRecord | undefined;
  /** summary and active history in one read; undefined when the session does not exist */
  turnContext(key: string): TurnContext | undefined;
  /**
   * A turn's whole write: creates or bumps the session, notes its chat and
   * usage, and appends its messages (every message stored or none). Inside a
   * transaction it adds no savepoint: see writeTogether in db.ts.
   */
  saveTurn(key: string, turn: TurnSave): StoredMessage[];
  /** the active history (not compacted away, not reset), oldest first */
  history(key: string): StoredMessage[];
  /** appends in one transaction; returns the stored rows */
  append(key: string, messages: ChatMessage[], now: number): StoredMessage[];
  /**
   * Replaces every active message with id < keepFromId by `summary`
   * (the messages stay on disk, marked compacted). The summary is stored only
   * when at least one message was still there to replace: a summary written
   * for a history that a /reset or another compaction took away meanwhile is
   * dropped (returns false), so it never lands on the session that follows.
   */
  compact(key: string, summary: string, keepFromId: number, now: number): boolean;
  /** /new and /reset: archives the whole active history and clears the summary */
  reset(key: string, now: number): void;
  /** most recently active sessions first */
  listSessions(limit?: number): SessionRecord[];
}

// ---- inbox / outbox (durable delivery) -------------------------------------

export type InboxState = "pending" | "processing" | "done" | "failed";

export interface InboundRecord {
  id: number;
  channel: string;
  chatId: string;
  /** the platform's message id; (channel, chatId, messageId) is unique */
  messageId: string;
  sessionKey: string;
  senderId: string;
  /** the normalized inbound message as JSON (text, media refs, flags) */
  payload: unknown;
  state: InboxState;
  receivedAt: number;
  /** the turn that answered it, when done */
  turnId?: string;
  error?: string;
  /**
   * set by acceptInbound alone: whether the row's session existed when the
   * row was stored (false lets the first turn of a new chat skip reading a
   * history there is none of)
   */
  sessionExisted?: boolean;
}

export type OutboxState = "pending" | "sent" | "dead";

export interface OutboundRecord {
  id: number;
  channel: string;
  chatId: string;
  /** groups the chunks of one reply */
  replyId: string;
  seq: number;
  /** the chunk as JSON (text, format, reply-to, media ref) */
  chunk: unknown;
  state: OutboxState;
  attempts: number;
  /** epoch ms before which the chunk must not be retried */
  notBefore: number;
  createdAt: number;
  sentAt?: number;
  platformMessageId?: string;
  lastError?: string;
}

/** a chunk the platform accepted, and the id it gave the message */
export interface SentMark {
  id: number;
  platformMessageId: string;
}

export interface DeliveryStore {
  /** stores an inbound message; returns undefined when it was seen before (duplicate) */
  acceptInbound(msg: Omit<InboundRecord, "id" | "state" | "turnId" | "error">): InboundRecord | undefined;
  /** pending (and, after a crash, processing) messages of a session, oldest first */
  pendingInbound(sessionKey?: string): InboundRecord[];
  /** session keys with pending or processing messages (recovery after restart) */
  sessionsWithPendingInbound(): string[];
  markInbound(ids: number[], state: InboxState, extra?: { turnId?: string; error?: string }): void;
  /**
   * Stores all chunks of a reply and marks the inbound messages it answers as
   * done, in ONE transaction: a crash leaves either both or neither.
   */
  enqueueReply(reply: { channel: string; chatId: string; replyId: string; chunks: unknown[]; answers: number[]; now: number }): OutboundRecord[];
  /**
   * chunks still to send (state pending, notBefore <= now), by reply then seq;
   * a chunk is held back while an earlier chunk of its reply waits for its notBefore;
   * at most `limit` of them (all when unset)
   */
  pendingOutbound(now: number, channel?: string, limit?: number): OutboundRecord[];
  /**
   * Records chunks the platform accepted, in one statement (the outbox marks
   * everything one page of a drain sent at once; a crash before the mark
   * sends those chunks again after the restart)
   */
  markSent(sent: SentMark[], now: number): void;
  /** channels with chunks still to send (cheap: no chunk is read) */
  channelsWithPendingOutbound(): string[];
  /** the earliest not-before time of a chunk still to send, or undefined when none waits */
  nextOutboundAt(): number | undefined;
  /** records a failure; state becomes "dead" when `dead` is true; `counted` false leaves attempts as they are */
  markFailed(id: number, error: string, notBefore: number, dead: boolean, counted?: boolean): void;
  deadLetters(limit?: number): OutboundRecord[];
  /** puts a dead letter back in the queue, due at `now`; false when there is no such dead letter */
  retryDead(id: number, now: number): boolean;
  /** deletes a dead letter; false when there is no such dead letter */
  dropDead(id: number): boolean;
  /** deletes done inbound and sent outbound rows older than `before` */
  prune(before: number): number;
}

// ---- pairing ---------------------------------------------------------------

export interface PairingRequest {
  channel: string;
  code: string;
  senderId: string;
  /** display name or @username, for `pairing list` */
  label?: string;
  chatId: string;
  createdAt: number;
  expiresAt: number;
}

export interface ApprovedSender {
  channel: string;
  senderId: string;
  label?: string;
  approvedAt: number;
}

export interface PairingStore {
  /**
   * the open request of a sender (reused while unexpired; isNew false) or a new
   * one (isNew true); at most `maxPending` open requests per channel, oldest dropped
   */
  requestCode(req: Omit<PairingRequest, "code" | "createdAt" | "expiresAt">, now: number, ttlMs: number, maxPending?: number): PairingRequest & { isNew: boolean };
  listRequests(now: number, channel?: string): PairingRequest[];
  /** approves by code; returns the sender, or undefined for an unknown/expired code */
  approve(channel: string, code: string, now: number): ApprovedSender | undefined;
  isApproved(channel: string, senderId: string): boolean;
  listApproved(channel?: string): ApprovedSender[];
  revoke(channel: string, senderId: string): boolean;
  /** drops a pending request by its code; false for an unknown code */
  deny(channel: string, code: string): boolean;
}

// ---- key/value ---------------------------------------------------------------

/** Odds and ends that must survive a restart (e.g. "last_active_chat"); values are JSON. */
export interface KvStore {
  get<T = unknown>(key: string): T | undefined;
  /** `now` defaults to Date.now(); a value of undefined deletes the key */
  set(key: string, value: unknown, now?: number): void;
  /** true when the key existed */
  delete(key: string): boolean;
  /** the keys starting with `prefix` and their values, at most `limit` of them, by key */
  entries<T = unknown>(prefix: string, limit: number): [string, T][];
}
