// The channel contract. An adapter turns a platform's payloads into
// InboundMessage at the edge and sends OutboundChunk back; nothing past the
// adapter reads a platform's raw JSON.

export type ChatType = "direct" | "group";

/** A file the platform holds; fetched only when the gateway needs it. */
export interface InboundMedia {
  kind: "image" | "audio" | "voice" | "video" | "file";
  mimeType?: string;
  /** bytes when the adapter already has them (small files, tests) */
  data?: Buffer;
  /** fetches the bytes (Telegram getFile, Discord CDN, ...) */
  fetch?: () => Promise<Buffer>;
  filename?: string;
  /** size the platform reported, when known */
  size?: number;
}

/**
 * A message another one points at: the one it replies to or quotes. Only
 * what the platform handed over; the gateway bounds how much of it the model
 * sees (src/gateway/turn-text.ts).
 */
export interface QuotedMessage {
  /** its text ("" when it had none, e.g. a photo without caption) */
  text: string;
  /** who wrote it, as the platform names them */
  senderName?: string;
  /** the bot wrote it */
  fromBot?: boolean;
}

export interface InboundMessage {
  channel: string;
  /** the bot account on the platform, for per-account session scopes */
  accountId?: string;
  chatId: string;
  chatType: ChatType;
  /** forum topic or thread inside the chat */
  threadId?: string;
  /** the platform's message id; (channel, chatId, messageId) identifies it */
  messageId: string;
  senderId: string;
  /** @username or handle, without the @ */
  senderUsername?: string;
  senderName?: string;
  text: string;
  media?: InboundMedia[];
  /** the bot was @-mentioned (groups) */
  mentioned?: boolean;
  /** the message replies to one of the bot's messages */
  replyToBot?: boolean;
  /** the message it replies to or quotes, when the platform says what it said */
  replyTo?: QuotedMessage;
  /** the message was forwarded: `text` is someone else's words, from `name` when the platform says */
  forwardedFrom?: { name?: string };
  /** platform time of the message, epoch ms */
  sentAt?: number;
}

export interface OutboundChunk {
  text: string;
  /** how `text` is written; adapters convert to what the platform takes */
  format: "plain" | "markdown";
  /** reply to this platform message id (first chunk of a reply) */
  replyTo?: string;
  /**
   * the platform id of the inbound message this reply answers (first chunk, in
   * every chat type; replyTo is the visible quote, set in groups only). Lets a
   * platform tie an answer to its request, e.g. a Discord slash command's response.
   */
  inReplyTo?: string;
  threadId?: string;
  media?: { kind: "image" | "audio" | "file"; mimeType: string; data?: string; url?: string; filename?: string };
  /**
   * The platform id of a message this chunk replaces (a streamed reply's live
   * message, see src/gateway/live-reply.ts): the outbox edits that message
   * instead of sending a new one.
   */
  edits?: string;
  /** with `edits`: the message is no longer needed (a live part the final reply does not have); it is deleted */
  remove?: boolean;
}

/**
 * How fast a channel may edit one chat's messages while a reply streams in,
 * from the platform's documented limits.
 */
export interface LiveEditLimits {
  /** least time between two sends or edits in one chat */
  minIntervalMs: number;
  /** edits one message takes at most (Feishu: 20); the final text always needs one more */
  maxEditsPerMessage?: number;
}

export interface ChannelCapabilities {
  /** longest text one message may carry */
  maxTextLength: number;
  format: "plain" | "markdown" | "html";
  typing: boolean;
  edit: boolean;
  voiceIn: boolean;
}

export type ChannelState = "connecting" | "online" | "reconnecting" | "offline" | "stopped";

/**
 * Positions a channel keeps per chat across restarts (e.g. the last message
 * id it handed to the gateway), for platforms that do not redeliver what
 * arrived while the gateway was down: the channel fetches what came after.
 * Writes may reject when the store cannot take them; the position then stays
 * behind and the next catch-up fetches a little more (deduped).
 */
export interface ChannelCursors {
  get(scope: string): Promise<string | undefined>;
  set(scope: string, cursor: string): Promise<void>;
  list(): Promise<{ scope: string; cursor: string }[]>;
}

export interface ChannelContext {
  /** hands a message to the gateway; resolves once it is stored (ack after this) */
  emit(msg: InboundMessage): Promise<void>;
  setStatus(state: ChannelState, detail?: string): void;
  /** aborted when the channel must stop */
  signal: AbortSignal;
  /** durable per-chat positions for catch-up (absent when the gateway has no store) */
  cursors?: ChannelCursors;
  /**
   * For a channel that pulls updates: how many to ask for in its next read
   * (the gateway's free turn slots and one set more); undefined, or absent:
   * as many as the platform gives. What is read waits in memory for a turn.
   */
  readAhead?(): number | undefined;
  /**
   * After start: the running channel hit a failure it cannot get past by
   * itself (token revoked → `auth`, bot banned → `permanent`). The supervisor
   * decides on the code: offline without retries for auth/permanent, a
   * restart with backoff otherwise.
   */
  fail?(err: ChannelError): void;
}

export interface ChannelAdapter {
  readonly id: string;
  readonly capabilities: ChannelCapabilities;
  start(ctx: ChannelContext): Promise<void>;
  /** idempotent */
  stop(): Promise<void>;
  send(chatId: string, chunk: OutboundChunk): Promise<{ messageId: string }>;
  typing?(chatId: string, threadId?: string): Promise<void>;
  /**
   * replaces the text of a message the bot sent (capabilities.edit): the
   * chunk is rendered as send() renders it. Same ChannelError codes as send;
   * an edit that changes nothing succeeds.
   */
  edit?(chatId: string, messageId: string, chunk: OutboundChunk): Promise<void>;
  /** deletes a message the bot sent; a message already gone counts as deleted */
  deleteMessage?(chatId: string, messageId: string, threadId?: string): Promise<void>;
  /** throttle for streamed replies (with edit) */
  readonly liveEdits?: LiveEditLimits;
  /** cheap liveness check for the watchdog (e.g. getMe); throws when the platform is unreachable */
  probe?(): Promise<void>;
  /**
   * asks the platform whether the configured credentials work without
   * connecting the channel (doctor, onboarding): throws a ChannelError saying
   * what is wrong. Adapters whose probe() already works offline need not have it.
   */
  checkCredentials?(): Promise<void>;
  /** the text of a QR code waiting to be scanned to pair the account (WhatsApp), while there is one */
  pairingCode?(): string | undefined;
  /**
   * The channel's webhook route (see its definition's `webhook.path`): the raw
   * request bytes, exactly as the platform signed them. Answers 404 when the
   * channel runs in a mode without webhooks, 503 while it is not started.
   */
  handleWebhook?(headers: WebhookHeaders, rawBody: Buffer): Promise<WebhookResponse>;
}

/** Headers as node/fastify hand them over (names lower-cased). */
export type WebhookHeaders = Record<string, string | string[] | undefined>;

export interface WebhookResponse {
  status: number;
  body?: string;
  /** e.g. content-type: application/json for a platform's challenge answer */
  headers?: Record<string, string>;
}

/**
 * Why a channel operation failed, as the gateway decides on it:
 *   rate_limited  the platform asked to wait `retryAfterMs`; try again then
 *   auth          the platform rejected our credentials; retrying cannot help
 *                 until the config changes (the channel goes offline)
 *   permanent     this one operation can never succeed (chat gone, bot
 *                 blocked, empty message); do not retry it
 *   transient     network trouble, 5xx, timeouts; retry with backoff
 */
export type ChannelErrorCode = "rate_limited" | "auth" | "permanent" | "transient";

export class ChannelError extends Error {
  readonly code: ChannelErrorCode;
  /** set for rate_limited: how long the platform asked us to wait */
  readonly retryAfterMs: number | undefined;
  constructor(code: ChannelErrorCode, message: string, opts: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "ChannelError";
    this.code = code;
    this.retryAfterMs = code === "rate_limited" ? Math.max(0, opts.retryAfterMs ?? 1000) : undefined;
  }
}

/** The code of any error an adapter threw: a plain Error counts as transient. */
export function channelErrorCode(err: unknown): ChannelErrorCode {
  return err instanceof ChannelError ? err.code : "transient";
}
