// The router's memory of every target it has called: cooldowns, counters,
// last error and last success, keyed "<entryId>|<keyIndex>".
import type { CallTarget, FailureReason } from "../types.ts";
import {
  applyFailure,
  applySuccess,
  effectiveErrorCount,
  emptyHealth,
  isCooling,
  QUIET_RESET_MS,
  type TargetHealth,
} from "./cooldown.ts";
import type { RouterPersisted } from "./state-store.ts";

export function targetKey(entryId: string, keyIndex: number): string {
  return `${entryId}|${keyIndex}`;
}

export class HealthBook {
  private readonly map = new Map<string, TargetHealth>();

  get(key: string): TargetHealth | undefined {
    return this.map.get(key);
  }

  cooling(key: string, now: number): boolean {
    return isCooling(this.map.get(key), now);
  }

  /** cooldown end for a cooling target, else 0 */
  cooldownEnd(key: string, now: number): number {
    const h = this.map.get(key);
    return isCooling(h, now) ? h!.cooldownUntil! : 0;
  }

  private ensure(key: string, t: CallTarget): TargetHealth {
    let h = this.map.get(key);
    if (!h) {
      h = emptyHealth(t.entry.id, t.entry.modelName, t.keyIndex);
      this.map.set(key, h);
    }
    return h;
  }

  /** Returns the cooldown started, in ms. */
  failure(
    key: string,
    t: CallTarget,
    err: { reason: FailureReason; status?: number | undefined; retryAfterMs?: number | undefined },
    message: string,
    now: number,
  ): number {
    return applyFailure(this.ensure(key, t), err, message, now);
  }

  /** Returns true when error state was cleared. */
  success(key: string, t: CallTarget, now: number): boolean {
    return applySuccess(this.ensure(key, t), now);
  }

  all(): IterableIterator<[string, TargetHealth]> {
    return this.map.entries();
  }

  load(state: RouterPersisted): void {
    for (const t of state.targets) {
      this.map.set(targetKey(t.entryId, t.keyIndex), { ...t, lastError: t.lastError ? { ...t.lastError } : null });
    }
  }

  /** State worth keeping: records cooling, with live error counts, or with a failure or success in the last 24 h. */
  persisted(now: number): RouterPersisted {
    const targets: RouterPersisted["targets"] = [];
    const recent = (at: number | null) => at !== null && now - at < QUIET_RESET_MS;
    for (const h of this.map.values()) {
      const live = isCooling(h, now) || effectiveErrorCount(h, now) > 0;
      if (!live && !recent(h.lastFailureAt) && !recent(h.lastSuccessAt)) continue;
      targets.push({ ...h, lastError: h.lastError ? { ...h.lastError } : null });
    }
    return { version: 1, savedAt: now, targets };
  }
}
