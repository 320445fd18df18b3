// Requests-per-minute limits: a sliding 60 s window per entry. Only entries
// with an rpm limit keep a window, and a window never holds more than `rpm`
// timestamps, so memory stays bounded however many requests pass.
import type { ModelEntry } from "../types.ts";

export const RPM_WINDOW_MS = 60_000;

export class RpmLimiter {
  private readonly windows = new Map<string, number[]>();

  private limitOf(entry: ModelEntry): number | undefined {
    const rpm = entry.rpm;
    return rpm !== undefined && Number.isFinite(rpm) && rpm > 0 ? Math.floor(rpm) : undefined;
  }

  private prune(entry: ModelEntry, now: number): number[] | undefined {
    const w = this.windows.get(entry.id);
    if (!w) return undefined;
    let drop = 0;
    while (drop < w.length && w[drop]! <= now - RPM_WINDOW_MS) drop++;
    if (drop > 0) w.splice(0, drop);
    return w;
  }

  /** ms until the entry may be called again; 0 when a slot is free or it has no limit. */
  waitMs(entry: ModelEntry, now: number): number {
    const limit = this.limitOf(entry);
    if (limit === undefined) return 0;
    const w = this.prune(entry, now);
    if (!w || w.length < limit) return 0;
    return w[w.length - limit]! + RPM_WINDOW_MS - now;
  }

  /** Counts one call to the entry. */
  record(entry: ModelEntry, now: number): void {
    const limit = this.limitOf(entry);
    if (limit === undefined) return;
    let w = this.prune(entry, now);
    if (!w) {
      w = [];
      this.windows.set(entry.id, w);
    }
    w.push(now);
    if (w.length > limit) w.splice(0, w.length - limit);
  }

  usage(entry: ModelEntry, now: number): { limit: number; used: number } | null {
    const limit = this.limitOf(entry);
    if (limit === undefined) return null;
    return { limit, used: this.prune(entry, now)?.length ?? 0 };
  }
}
