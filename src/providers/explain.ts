// What a provider failure means for the person at the terminal: one line with
// the reason and the fix. A key or billing problem says so — waiting a minute
// will not fix it — instead of sounding like a transient hiccup.
import { redact } from "../core/redact.ts";
import { SwitchboardError, errorMessage } from "../core/errors.ts";
import { ProviderError, type Attempt, type FailureReason } from "./types.ts";

/** The fix for each reason, worded for the person who owns the config. */
export const FIXES: Record<FailureReason, string> = {
  auth: "the provider refused the API key (wrong, revoked or without access to this model); fix api_key / providers.<vendor>.api_key or run `switchboard auth login --provider <vendor>` — waiting will not help",
  billing: "the provider account has no credit or quota left; top up or change the plan at the provider, or add a fallback on another account — waiting will not help",
  rate_limit: "the provider is rate-limiting; wait, or add api_keys / model_list entries to spread the load",
  overloaded: "the provider is overloaded; try again shortly or add a fallback",
  timeout: "the provider did not answer in time; raise request_timeout or add a faster fallback",
  network: "the provider could not be reached; check api_base, the network and any proxy setting",
  server_error: "the provider failed; try again or add a fallback",
  model_not_found: "the provider does not know this model; check the model id after the vendor prefix in model_list",
  format: "the provider rejected the request as malformed; check extra_body, max_tokens_field and the model's parameters",
  context_overflow: "the conversation is longer than the model's context window; start a new session (/new) or use a model with a larger context",
  aborted: "the request was cancelled",
};

function lastFailure(err: unknown): { reason?: FailureReason; status?: number } {
  if (err instanceof ProviderError) return { reason: err.reason, ...(err.status !== undefined ? { status: err.status } : {}) };
  const attempts = (err as { attempts?: Attempt[] }).attempts;
  const last = attempts?.filter((a) => !a.ok).at(-1);
  return last?.reason ? { reason: last.reason, ...(last.status !== undefined ? { status: last.status } : {}) } : {};
}

/** One line: what failed and how to fix it, without secrets. */
export function oneLineFailure(err: unknown): string {
  const { reason, status } = lastFailure(err);
  if (err instanceof ProviderError && reason) {
    return redact(`${reason}${status !== undefined ? ` (HTTP ${status})` : ""}: ${err.message.replace(/\s+/g, " ").slice(0, 200)} — ${FIXES[reason]}`);
  }
  const message = errorMessage(err);
  // AllCandidatesFailedError already carries the attempts and the fix of its last reason
  if (err instanceof SwitchboardError || !reason) return redact(message.replace(/\s+/g, " "));
  return redact(`${message.replace(/\s+/g, " ")} — ${FIXES[reason]}`);
}

/** Every attempt with its own message, then the one-line summary (for --verbose). */
export function verboseFailure(err: unknown): string[] {
  const attempts = (err as { attempts?: Attempt[] }).attempts ?? [];
  const lines = attempts.map(
    (a) => `attempt ${a.entryId} key${a.keyIndex + 1} (${a.model}): ${a.ok ? "ok" : `${a.reason ?? "failed"}${a.status !== undefined ? ` HTTP ${a.status}` : ""}: ${a.message ?? ""}`} in ${Math.round(a.latencyMs)} ms`,
  );
  lines.push(`switchboard: ${oneLineFailure(err)}`);
  if (err instanceof Error && err.stack && !(err instanceof SwitchboardError)) lines.push(err.stack);
  return lines.map((l) => redact(l));
}
