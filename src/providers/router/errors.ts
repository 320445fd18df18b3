// The router's errors: classifying whatever a client threw into a
// ProviderError, scrubbing messages of secrets, and the one-line error when
// every candidate failed.
import { SwitchboardError } from "../../core/errors.ts";
import { ProviderError, type Attempt, type FailureReason } from "../types.ts";

const MAX_MESSAGE = 200;
/** at most this many attempts are spelled out in AllCandidatesFailedError's message */
const MAX_LISTED = 12;

const SECRET_PATTERNS: RegExp[] = [
  /\b(?:sk|gsk|pk|rk|xai|sk-ant|sk-or|sk-proj)[-_][A-Za-z0-9_-]{6,}/g,
  /\bBearer\s+[^\s"',;]+/gi,
  /\b(api[-_]?key|access[-_]?token|token|secret|password|key)(["']?\s*[=:]\s*["']?)[^\s"'&,;]+/gi,
  /\bAIza[0-9A-Za-z_-]{20,}/g,
];

/**
 * A short single-line message safe for logs and `status`: known keys and
 * anything shaped like a credential are replaced, newlines collapsed.
 */
export function scrubMessage(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 4) out = out.split(s).join("[redacted]");
  }
  for (const re of SECRET_PATTERNS) {
    out = out.replace(re, (m, name?: string, sep?: string) =>
      typeof name === "string" && typeof sep === "string" ? `${name}${sep}[redacted]` : "[redacted]",
    );
  }
  out = out.replace(/\s+/g, " ").trim();
  return out.length > MAX_MESSAGE ? `${out.slice(0, MAX_MESSAGE - 1)}…` : out;
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "ECONNABORTED",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
]);
const TIMEOUT_CODES = new Set(["ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

function codeOf(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

/**
 * Whatever a client or a call function threw, as a ProviderError. Clients
 * are meant to throw ProviderErrors; anything else is classified by a small
 * fallback: an abort → aborted, a socket error → network/timeout, the rest →
 * server_error.
 */
export function toProviderError(err: unknown, signal?: AbortSignal): ProviderError {
  if (err instanceof ProviderError) return err;
  if (signal?.aborted) return abortedError();
  const name = err instanceof Error ? err.name : "";
  const message = err instanceof Error ? err.message : String(err);
  const code = codeOf(err);
  if (name === "TimeoutError" || (code && TIMEOUT_CODES.has(code))) {
    return new ProviderError("timeout", `timed out: ${message}`, { cause: err });
  }
  if (name === "AbortError") return new ProviderError("aborted", "request aborted", { cause: err });
  if ((code && NETWORK_CODES.has(code)) || (err instanceof TypeError && /fetch failed|network|socket/i.test(message))) {
    return new ProviderError("network", `network error: ${message}${code ? ` (${code})` : ""}`, { cause: err });
  }
  return new ProviderError("server_error", `unexpected error: ${message}`, { cause: err });
}

export function abortedError(): ProviderError {
  return new ProviderError("aborted", "request aborted by the caller");
}

/** "glm-4.7#0 key1 rate_limit (429) 12ms" — key numbers are 1-based here. */
export function describeAttempt(a: Attempt): string {
  const what = a.ok ? "ok" : `${a.reason ?? "failed"}${a.status !== undefined ? ` (${a.status})` : ""}`;
  return `${a.entryId} key${a.keyIndex + 1} ${what} ${Math.round(a.latencyMs)}ms`;
}

const HINTS: Partial<Record<FailureReason, string>> = {
  auth: "check the api_key of these entries",
  billing: "check the provider account's balance or plan",
  rate_limit: "wait, or add api_keys / model_list entries to spread the load",
  overloaded: "the provider is overloaded; try again shortly or add a fallback",
  timeout: "raise request_timeout or add a faster fallback",
  network: "check api_base, the network and any proxy setting",
  server_error: "the provider failed; try again or add a fallback",
  model_not_found: "check the model id after the vendor prefix in model_list",
};

/** Every candidate failed. The message is one line, without secrets or provider text. */
export class AllCandidatesFailedError extends SwitchboardError {
  readonly attempts: Attempt[];
  readonly lastReason: FailureReason | undefined;
  constructor(attempts: Attempt[]) {
    const failed = attempts.filter((a) => !a.ok);
    const last = failed[failed.length - 1];
    const listed = failed.slice(-MAX_LISTED).map(describeAttempt);
    const more = failed.length > MAX_LISTED ? `(${failed.length - MAX_LISTED} earlier not shown); ` : "";
    const hint = last?.reason ? HINTS[last.reason] : undefined;
    const head = failed.length === 1 ? "1 attempt failed" : `all ${failed.length} attempts failed`;
    super("all_candidates_failed", `${head}: ${more}${listed.join("; ")}${hint ? ` — ${hint}` : ""}`, { exitCode: 1 });
    this.name = "AllCandidatesFailedError";
    // one line wherever it is printed: the router's frames say nothing to a user
    this.stack = `${this.name}: ${this.message}`;
    this.attempts = attempts;
    this.lastReason = last?.reason;
  }
}
