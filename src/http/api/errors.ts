// OpenAI-style error answers ({ error: { message, type, param, code } }) and
// the mapping of a failed turn to one. Client mistakes are 4xx, so SDKs do
// not retry them; upstream failures are 502/503/504, with Retry-After when
// the wait is known, so SDKs retry them sensibly.
import type { FastifyReply } from "fastify";
import { SwitchboardError } from "../../core/errors.ts";
import { AllCandidatesFailedError } from "../../providers/router/errors.ts";
import type { RouterSnapshot } from "../../providers/router/types.ts";
import { ProviderError, type FailureReason } from "../../providers/types.ts";

export type ApiErrorType = "invalid_request_error" | "not_found_error" | "server_error";

export interface ApiError {
  message: string;
  type: ApiErrorType;
  param?: string | null;
  code?: string | null;
}

export interface MappedError {
  status: number;
  error: ApiError;
  /** seconds, for the Retry-After header */
  retryAfterS?: number;
}

export function errorBody(e: ApiError): { error: Required<ApiError> } {
  return { error: { message: e.message, type: e.type, param: e.param ?? null, code: e.code ?? null } };
}

export async function sendApiError(reply: FastifyReply, status: number, e: ApiError, retryAfterS?: number): Promise<FastifyReply> {
  if (retryAfterS !== undefined) void reply.header("retry-after", String(retryAfterS));
  return reply.code(status).type("application/json; charset=utf-8").send(errorBody(e));
}

/** What a failed provider call means to an API client. */
const BY_REASON: Record<FailureReason, { status: number; type: ApiErrorType; code: string }> = {
  rate_limit: { status: 503, type: "server_error", code: "rate_limited" },
  overloaded: { status: 503, type: "server_error", code: "overloaded" },
  timeout: { status: 504, type: "server_error", code: "upstream_timeout" },
  // the caller's conversation is too long even after compaction: their mistake, as at OpenAI
  context_overflow: { status: 400, type: "invalid_request_error", code: "context_length_exceeded" },
  aborted: { status: 503, type: "server_error", code: "aborted" },
  auth: { status: 502, type: "server_error", code: "upstream_auth" },
  billing: { status: 502, type: "server_error", code: "upstream_billing" },
  model_not_found: { status: 502, type: "server_error", code: "upstream_model_not_found" },
  format: { status: 502, type: "server_error", code: "upstream_format" },
  network: { status: 502, type: "server_error", code: "upstream_network" },
  server_error: { status: 502, type: "server_error", code: "upstream_error" },
};

/**
 * A turn's failure as an API error. Messages of provider and router errors
 * are already one line and scrubbed of secrets; anything else is an
 * internal error whose text stays in the log.
 * `retryAfterMs` is the router's own estimate (the soonest cooldown end)
 * when the error does not carry one.
 */
export function mapTurnError(err: unknown, retryAfterMs?: () => number | undefined): MappedError | undefined {
  let reason: FailureReason | undefined;
  let hintMs: number | undefined;
  if (err instanceof ProviderError) {
    reason = err.reason;
    hintMs = err.retryAfterMs;
  } else if (err instanceof AllCandidatesFailedError) {
    reason = err.lastReason ?? "server_error";
  } else if (err instanceof SwitchboardError && err.code === "usage") {
    // e.g. no model configured: the gateway's configuration, said with its fix
    return { status: 500, error: { message: err.message, type: "server_error", code: "gateway_misconfigured" } };
  }
  if (!reason) return undefined;
  const m = BY_REASON[reason];
  const mapped: MappedError = { status: m.status, error: { message: (err as Error).message, type: m.type, code: m.code } };
  if (m.status === 503) {
    const ms = hintMs ?? retryAfterMs?.();
    if (ms !== undefined && ms > 0) mapped.retryAfterS = Math.ceil(ms / 1000);
  }
  return mapped;
}

/**
 * When every target the failed request could use is cooling down, the ms
 * until the first comes back; undefined when some target is free (then
 * nothing is known about when a retry helps).
 */
export function routerRetryAfterMs(snapshot: RouterSnapshot, err: unknown): number | undefined {
  const ids = err instanceof AllCandidatesFailedError ? new Set(err.attempts.map((a) => a.entryId)) : undefined;
  const targets = snapshot.targets.filter((t) => !ids || ids.has(t.entryId));
  if (targets.length === 0 || targets.some((t) => t.cooldownUntil === null)) return undefined;
  return Math.min(...targets.map((t) => t.cooldownUntil!)) - snapshot.at;
}
