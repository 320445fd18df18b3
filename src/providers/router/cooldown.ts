// Cooldown arithmetic for one call target (entry + key). Pure functions over
// a small record, so the table is easy to read and to test.
//
//   ordinary failures: 1 min, 5 min, 25 min, then 1 h for every further one
//   billing failures:  5 h, 10 h, 20 h, then 24 h (doubling, capped)
//   a Retry-After longer than the table wins
//   the counters reset on success and after 24 h without a failure; the quiet
//   time counts from the end of the cooldown, so a key cooling 24 h for
//   billing that fails again at once stays at the 24 h cap instead of
//   starting over at 5 h
import type { FailureReason } from "../types.ts";
import type { LastError } from "./types.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;

export const COOLDOWN_STEPS_MS: readonly number[] = [1 * MIN, 5 * MIN, 25 * MIN, 1 * HOUR];
export const BILLING_BASE_MS = 5 * HOUR;
export const BILLING_CAP_MS = 24 * HOUR;
/** a target that has not failed for this long (after its cooldown) starts counting from zero again */
export const QUIET_RESET_MS = 24 * HOUR;

/** True when the target has been usable and free of failures for QUIET_RESET_MS. */
function quietLongEnough(h: TargetHealth, now: number): boolean {
  if (h.lastFailureAt === null) return false;
  const quietSince = Math.max(h.lastFailureAt, h.cooldownUntil ?? 0);
  return now - quietSince >= QUIET_RESET_MS;
}

/** What the router remembers about one target. Never holds the key itself. */
export interface TargetHealth {
  entryId: string;
  modelName: string;
  keyIndex: number;
  /** consecutive failures of any reason */
  errorCount: number;
  /** consecutive billing failures (drives the billing table) */
  billingCount: number;
  cooldownUntil: number | null;
  lastFailureAt: number | null;
  lastError: LastError | null;
  lastSuccessAt: number | null;
}

export function emptyHealth(entryId: string, modelName: string, keyIndex: number): TargetHealth {
  return {
    entryId,
    modelName,
    keyIndex,
    errorCount: 0,
    billingCount: 0,
    cooldownUntil: null,
    lastFailureAt: null,
    lastError: null,
    lastSuccessAt: null,
  };
}

/**
 * Cooldown after a failure, given the counters AFTER counting this failure
 * (errorCount 1 means the first failure).
 */
export function cooldownMs(reason: FailureReason, errorCount: number, billingCount: number, retryAfterMs?: number): number {
  let table: number;
  if (reason === "billing") {
    const n = Math.max(1, billingCount);
    table = Math.min(BILLING_CAP_MS, BILLING_BASE_MS * 2 ** Math.min(n - 1, 10));
  } else {
    const steps = COOLDOWN_STEPS_MS;
    table = steps[Math.min(Math.max(1, errorCount), steps.length) - 1]!;
  }
  return retryAfterMs !== undefined && retryAfterMs > table ? retryAfterMs : table;
}

/**
 * Counts one failure and starts the cooldown. Returns the cooldown in ms.
 * `step: false` is a repeat failure within the same request (a later pass):
 * it refreshes the last error and may lengthen the cooldown, but does not
 * climb the table — one failed request is one step however many passes it made.
 */
export function applyFailure(
  h: TargetHealth,
  err: { reason: FailureReason; status?: number | undefined; retryAfterMs?: number | undefined },
  message: string,
  now: number,
  step = true,
): number {
  if (step) {
    if (quietLongEnough(h, now)) {
      h.errorCount = 0;
      h.billingCount = 0;
    }
    h.errorCount += 1;
    h.billingCount = err.reason === "billing" ? h.billingCount + 1 : 0;
  }
  const ms = cooldownMs(err.reason, Math.max(1, h.errorCount), Math.max(err.reason === "billing" ? 1 : 0, h.billingCount), err.retryAfterMs);
  h.cooldownUntil = Math.max(h.cooldownUntil ?? 0, now + ms);
  h.lastFailureAt = now;
  h.lastError = {
    reason: err.reason,
    ...(err.status !== undefined ? { status: err.status } : {}),
    message,
    at: now,
  };
  return ms;
}

/** Records a failure that says something about the request, not the target (400, context overflow): last error only. */
export function noteError(h: TargetHealth, err: { reason: FailureReason; status?: number | undefined }, message: string, now: number): void {
  h.lastError = { reason: err.reason, ...(err.status !== undefined ? { status: err.status } : {}), message, at: now };
}

/** Records a success. Returns true when error state was cleared (worth persisting at once). */
export function applySuccess(h: TargetHealth, now: number): boolean {
  const hadErrors = h.errorCount > 0 || h.billingCount > 0 || h.cooldownUntil !== null;
  h.errorCount = 0;
  h.billingCount = 0;
  h.cooldownUntil = null;
  h.lastSuccessAt = now;
  return hadErrors;
}

export function isCooling(h: TargetHealth | undefined, now: number): boolean {
  return h !== undefined && h.cooldownUntil !== null && h.cooldownUntil > now;
}

/** The error count as `status` should show it: 0 after 24 h without failure. */
export function effectiveErrorCount(h: TargetHealth, now: number): number {
  if (quietLongEnough(h, now)) return 0;
  return h.errorCount;
}
