// Contracts between configuration, the router and the protocol clients.
import type { ChatDelta, ChatRequest, ChatResult } from "../core/chat.ts";

/** Closed set of reasons a provider call can fail. The router decides only on these. */
export const FAILURE_REASONS = [
  "auth",
  "billing",
  "rate_limit",
  "overloaded",
  "timeout",
  "network",
  "server_error",
  "model_not_found",
  "format",
  "context_overflow",
  "aborted",
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** Failures that must not move the request to another candidate. */
export const NON_FALLBACK_REASONS: ReadonlySet<FailureReason> = new Set(["format", "context_overflow", "aborted"]);

export class ProviderError extends Error {
  readonly reason: FailureReason;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  /** provider's own error code, when it gave one (e.g. "insufficient_quota") */
  readonly providerCode: string | undefined;
  constructor(
    reason: FailureReason,
    message: string,
    opts: { status?: number; retryAfterMs?: number; providerCode?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "ProviderError";
    this.reason = reason;
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
    this.providerCode = opts.providerCode;
  }
}

/** Wire protocol a model entry speaks. */
export type Protocol = "openai" | "anthropic" | "azure";

/**
 * One normalized model entry. Every config dialect (model_list, legacy
 * `providers`, OpenClaw `models.providers`, LITELLM_* environment) becomes a
 * list of these.
 */
export interface ModelEntry {
  /** stable identifier, unique in the list: "<model_name>#<n>" */
  id: string;
  /** group name; entries sharing it are load-balanced */
  modelName: string;
  /** the configured reference, e.g. "litellm/openai/gpt-4o" */
  model: string;
  /** routing prefix ("openai", "litellm", ...) or "" when the prefix is unknown */
  vendor: string;
  protocol: Protocol;
  /** what is sent as `model` on the wire (outer routing prefix stripped) */
  modelId: string;
  /** base URL without a trailing slash; "" means the vendor has no usable default */
  apiBase: string;
  /** api_key followed by api_keys, duplicates removed; may be empty (local servers) */
  apiKeys: string[];
  requestTimeoutMs: number;
  proxy?: string;
  rpm?: number;
  extraBody?: Record<string, unknown>;
  customHeaders?: Record<string, string>;
  /** name of the max-tokens field on the wire, e.g. "max_completion_tokens" */
  maxTokensField?: string;
  enabled: boolean;
  /** model facts when the config gives them (OpenClaw dialect) */
  contextWindow?: number;
  maxTokens?: number;
  input?: string[];
  reasoning?: boolean;
  /** Azure OpenAI api-version query parameter */
  apiVersion?: string;
  /** where the entry came from, for `status` and `migrate` */
  source: "model_list" | "providers" | "models.providers" | "env" | "reference";
}

/** One call target: an entry with one of its keys. */
export interface CallTarget {
  entry: ModelEntry;
  apiKey: string | undefined;
  keyIndex: number;
}

/** A protocol client turns one wire protocol into this interface. */
export interface ProviderClient {
  chat(target: CallTarget, req: ChatRequest): Promise<ChatResult>;
  stream(target: CallTarget, req: ChatRequest): AsyncIterable<ChatDelta>;
}

/** One attempt the router made, for logs and `status`. */
export interface Attempt {
  entryId: string;
  modelName: string;
  model: string;
  keyIndex: number;
  ok: boolean;
  reason?: FailureReason;
  status?: number;
  message?: string;
  latencyMs: number;
  at: number;
}

/** Looks up model references. Built by the config layer, used by the router. */
export interface ModelDirectory {
  /** every configured entry, in config order */
  all(): ModelEntry[];
  /**
   * Entries a reference names: a `model_name` group (or an alias of one), or
   * a direct `vendor/model` reference turned into an entry with that vendor's
   * default base URL and credentials. [] when nothing matches.
   */
  lookup(ref: string): ModelEntry[];
}

/** Which model a call wants; by default the agent's primary and its fallbacks. */
export interface RouteOptions {
  /** a model_name, an alias or a vendor/model reference; replaces the default primary */
  model?: string;
  /** replaces the default fallback chain (used with `model`) */
  fallbacks?: string[];
  signal?: AbortSignal;
  /** stream(): told which target answers (and the attempts before it) once its first delta arrived */
  onRouted?: (routed: Omit<Routed<unknown>, "value">) => void;
}

export interface Routed<T> {
  value: T;
  target: CallTarget;
  attempts: Attempt[];
}

/** The router as the rest of the program sees it. */
export interface ChatRouter {
  chat(req: ChatRequest, opts?: RouteOptions): Promise<ChatResult & { entry: ModelEntry; attempts: Attempt[] }>;
  /** Streams; failover happens only before the first delta is yielded. */
  stream(req: ChatRequest, opts?: RouteOptions): AsyncIterable<ChatDelta>;
  /**
   * Any call (images, transcription, probes) with the same selection,
   * round-robin, key failover, cooldowns and rpm limits as chat.
   */
  call<T>(opts: RouteOptions, fn: (target: CallTarget, signal: AbortSignal) => Promise<T>): Promise<Routed<T>>;
}
