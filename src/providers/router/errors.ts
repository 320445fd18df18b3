// The router's errors: classifying whatever a client threw into a
// ProviderError, scrubbing messages of secrets, and the one-line error when
// every candidate failed.
import { SwitchboardError } from "../../core/errors.ts";
import { redact } from "../../core/redact.ts";
import { FIXES } from "../explain.ts";
import { classifyThrown } from "../failure.ts";
import { ProviderError, type Attempt, type FailureReason } from "../types.ts";

const MAX_MESSAGE = 200;
/** at most this many attempts are spelled out in AllCandidatesFailedError's message */
const MAX_LISTED = 12;

/**
 * A short single-line message safe for logs and `status`: the config's
 * secrets and anything shaped like a credential replaced (core/redact.ts),
 * newlines collapsed.
 */
export function scrubMessage(text: string, secrets: readonly string[] = []): string {
  const out = redact(text, secrets).replace(/\s+/g, " ").trim();
  return out.length > MAX_MESSAGE ? `${out.slice(0, MAX_MESSAGE - 1)}…` : out;
}

/** Whatever a client or a call function threw, as a ProviderError (the one classifier in failure.ts). */
export function toProviderError(err: unknown, signal?: AbortSignal): ProviderError {
  return classifyThrown(err, signal);
}

export function abortedError(): ProviderError {
  return new ProviderError("aborted", "request aborted by the caller");
}

/** "glm-4.7#0 key1 rate_limit (429) 12ms" — key numbers are 1-based here. */
export function describeAttempt(a: Attempt): string {
  const what = a.ok ? "ok" : `${a.reason ?? "failed"}${a.status !== undefined ? ` (${a.status})` : ""}`;
  return `${a.entryId} key${a.keyIndex + 1} ${what} ${Math.round(a.latencyMs)}ms`;
}


/** Every candidate failed. The message is one line, without secrets or provider text. */
export class AllCandidatesFailedError extends SwitchboardError {
  readonly attempts: Attempt[];
  readonly lastReason: FailureReason | undefined;
  constructor(attempts: Attempt[]) {
    const failed = attempts.filter((a) => !a.ok);
    const last = failed[failed.length - 1];
    const listed = failed.slice(-MAX_LISTED).map(describeAttempt);
    const more = failed.length > MAX_LISTED ? `(${failed.length - MAX_LISTED} earlier not shown); ` : "";
    const hint = last?.reason ? FIXES[last.reason] : undefined;
    const head = failed.length === 1 ? "1 attempt failed" : `all ${failed.length} attempts failed`;
    super("all_candidates_failed", `${head}: ${more}${listed.join("; ")}${hint ? ` — ${hint}` : ""}`, { exitCode: 1 });
    this.name = "AllCandidatesFailedError";
    // one line wherever it is printed: the router's frames say nothing to a user
    this.stack = `${this.name}: ${this.message}`;
    this.attempts = attempts;
    this.lastReason = last?.reason;
  }
}
