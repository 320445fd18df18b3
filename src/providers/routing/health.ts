// Per-target health: cooldowns after failures, counters that reset, the
// last error, and requests-per-minute windows. One target is one entry with
// one of its keys, so a single bad key cools down alone.
import type { FailureReason } from "../types.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
/** 1 min, 5 min, 25 min, then 1 h for every further failure */
export const COOLDOWN_STEPS_MS = [1 * MIN, 5 * MIN, 25 * MIN, 1 * HOUR];
/** billing: 5 h doubling to a cap of 24 h */
export const BILLING_BASE_MS = 5 * HOUR;
export const BILLING_CAP_MS = 24 * HOUR;
/** counters forget failures after this long without one */
export const QUIET_RESET_MS = 24 * HOUR;

export interface TargetHealth {
  errorCount: number;
  billingCount: number;
  cooldownUntil: number;
  lastFailureAt?: number;
  lastSuccessAt?: number;
  lastError?: { reason: FailureReason; status?: number; message: string; at: number };
}

export function cooldownFor(reason: FailureReason, errorCount: number, billingCount: number): number {
  if (reason === "billing") return Math.min(BILLING_CAP_MS, BILLING_BASE_MS * 2 ** Math.max(0, billingCount - 1));
  return COOLDOWN_STEPS_MS[Math.min(COOLDOWN_STEPS_MS.length - 1, Math.max(0, errorCount - 1))]!;
}

export class HealthBook {
  private readonly targets = new Map<string, TargetHealth>();
  private readonly rpmWindows = new Map<string, number[]>();

  get(key: string): TargetHealth {
    let h = this.targets.get(key);
    if (!h) {
      h = { errorCount: 0, billingCount: 0, cooldownUntil: 0 };
      this.targets.set(key, h);
    }
    return h;
  }

  entries(): [string, TargetHealth][] {
    return [...this.targets.entries()];
  }

  restore(key: string, h: TargetHealth): void {
    this.targets.set(key, { ...h });
  }

  coolingUntil(key: string, now: number): number | undefined {
    const h = this.targets.get(key);
    return h && h.cooldownUntil > now ? h.cooldownUntil : undefined;
  }

  success(key: string, now: number): void {
    const h = this.get(key);
    h.errorCount = 0;
    h.billingCount = 0;
    h.cooldownUntil = 0;
    h.lastSuccessAt = now;
  }

  /** records a failure and returns the cooldown it caused (ms) */
  failure(key: string, now: number, err: { reason: FailureReason; status?: number; message: string; retryAfterMs?: number }): number {
    const h = this.get(key);
    if (h.lastFailureAt !== undefined && now - h.lastFailureAt >= QUIET_RESET_MS) {
      h.errorCount = 0;
      h.billingCount = 0;
    }
    h.lastFailureAt = now;
    h.lastError = { reason: err.reason, message: err.message, at: now, ...(err.status !== undefined ? { status: err.status } : {}) };
    if (err.reason === "billing") h.billingCount++;
    else h.errorCount++;
    const table = cooldownFor(err.reason, h.errorCount, h.billingCount);
    const wait = Math.max(table, err.retryAfterMs ?? 0);
    h.cooldownUntil = now + wait;
    return wait;
  }

  /** requests in the last minute for an entry */
  rpmUsed(entryId: string, now: number): number {
    const w = this.rpmWindows.get(entryId);
    if (!w) return 0;
    while (w.length && w[0]! <= now - MIN) w.shift();
    return w.length;
  }

  /** ms until an entry at its limit gets a free slot (0 when it has one) */
  rpmWait(entryId: string, rpm: number | undefined, now: number): number {
    if (!rpm) return 0;
    if (this.rpmUsed(entryId, now) < rpm) return 0;
    const w = this.rpmWindows.get(entryId)!;
    return Math.max(1, w[w.length - rpm]! + MIN - now);
  }

  /** counts a request against an entry's rpm window (only entries with an rpm limit keep one) */
  noteRequest(entryId: string, rpm: number | undefined, now: number): void {
    if (!rpm) return;
    let w = this.rpmWindows.get(entryId);
    if (!w) this.rpmWindows.set(entryId, (w = []));
    w.push(now);
    while (w.length > rpm) w.shift();
  }
}
