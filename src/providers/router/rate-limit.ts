// Requests-per-minute limits: a sliding 60 s window per entry, kept in the
// router's counters (shared-counters.ts), so the limit holds across every
// process using the same state directory. Only entries with an rpm limit keep
// a window, and a window never holds more than `rpm` timestamps.
import type { ModelEntry } from "../types.ts";
import { targetKey } from "./health.ts";
import { memoryCounters, whenReady, type MaybePromise, type RouterCounters } from "./shared-counters.ts";

export const RPM_WINDOW_MS = 60_000;

export class RpmLimiter {
  private readonly store: RouterCounters;
  private readonly keys = new WeakMap<ModelEntry, string>();

  constructor(store: RouterCounters = memoryCounters()) {
    this.store = store;
  }

  private limitOf(entry: ModelEntry): number | undefined {
    const rpm = entry.rpm;
    return rpm !== undefined && Number.isFinite(rpm) && rpm > 0 ? Math.floor(rpm) : undefined;
  }

  /** the entry's window: what it calls (endpoint, model, its keys), not its position */
  private keyOf(entry: ModelEntry): string {
    let k = this.keys.get(entry);
    if (!k) {
      k = targetKey(entry, entry.apiKeys.join("\n"));
      this.keys.set(entry, k);
    }
    return k;
  }

  /** ms until the entry may be called again; 0 when a slot is free or it has no limit. */
  waitMs(entry: ModelEntry, now: number): MaybePromise<number> {
    const limit = this.limitOf(entry);
    if (limit === undefined) return 0;
    return whenReady(this.store.stamps(this.keyOf(entry), now - RPM_WINDOW_MS), (w) => (w.length < limit ? 0 : w[w.length - limit]! + RPM_WINDOW_MS - now));
  }

  /** Counts one call to the entry (a shared store: settled once the fleet can see it). */
  record(entry: ModelEntry, now: number): MaybePromise<void> {
    const limit = this.limitOf(entry);
    if (limit === undefined) return;
    return this.store.stamp(this.keyOf(entry), now, limit);
  }

  usage(entry: ModelEntry, now: number): { limit: number; used: number } | null {
    const limit = this.limitOf(entry);
    if (limit === undefined) return null;
    return { limit, used: this.store.seen(this.keyOf(entry), now - RPM_WINDOW_MS).length };
  }
}
