// The router's round-robin positions and rpm windows in PostgreSQL, shared by
// every gateway of a fleet: requests to one model group rotate over its
// entries across all gateways, and an entry's rpm limit counts every
// gateway's calls.
//
// take() is one atomic upsert (INSERT … ON CONFLICT DO UPDATE … RETURNING):
// two gateways can never get the same position. stamp() inserts the call and
// prunes, in the same statement, stamps older than the 60 s window and any
// beyond the `keep` newest. What status reads synchronously (peek, seen,
// groups) is what this process last read or wrote, refreshed every few
// seconds. A failing database never stops routing: the operation falls back
// to per-process counting and onError is told (once per outage).
import type pg from "pg";
import { memoryCounters, type RouterCounters } from "../providers/router/shared-counters.ts";
import { pgReason } from "./pool.ts";

/** stamps older than this are never asked for (the rpm window is 60 s) */
const WINDOW_KEEP_MS = 60_000;
/** how often the status view of every group's counter is refreshed */
const REFRESH_MS = 5000;

export interface PgCountersOptions {
  onError?: (reason: string) => void;
  refreshMs?: number;
}

export function pgCounters(pool: pg.Pool, opts: PgCountersOptions = {}): RouterCounters & { refresh(): Promise<void> } {
  const known = new Map<string, number>();
  const windows = new Map<string, number[]>();
  const fallback = memoryCounters();
  let failing = false;

  const guarded = async <T>(what: string, fn: () => Promise<T>, alt: () => T): Promise<T> => {
    try {
      const v = await fn();
      failing = false;
      return v;
    } catch (err) {
      if (!failing) opts.onError?.(`router counters (${what}) fall back to this process: ${pgReason(err)}`);
      failing = true;
      return alt();
    }
  };

  const refresh = async (): Promise<void> => {
    const r = await pool.query<{ grp: string; n: string }>("SELECT grp, n FROM router_rr");
    for (const row of r.rows) known.set(row.grp, Number(row.n));
  };
  const timer = setInterval(() => void refresh().catch(() => {}), opts.refreshMs ?? REFRESH_MS);
  timer.unref();
  void refresh().catch(() => {});

  return {
    take: (group) =>
      guarded(
        "take",
        async () => {
          const r = await pool.query<{ n: string }>(
            "INSERT INTO router_rr AS r (grp, n) VALUES ($1, 1) ON CONFLICT (grp) DO UPDATE SET n = r.n + 1 RETURNING n",
            [group],
          );
          const after = Number(r.rows[0]!.n);
          known.set(group, Math.max(known.get(group) ?? 0, after));
          return after - 1;
        },
        () => fallback.take(group) as number,
      ),
    peek: (group) => known.get(group) ?? 0,
    stamps: (entry, since) =>
      guarded(
        "read",
        async () => {
          const r = await pool.query<{ at: string }>("SELECT at FROM router_rpm WHERE entry = $1 AND at > $2 ORDER BY at, id", [entry, since]);
          const w = r.rows.map((row) => Number(row.at));
          windows.set(entry, w);
          return w;
        },
        () => fallback.seen(entry, since),
      ),
    stamp: (entry, at, keep) =>
      guarded(
        "stamp",
        async () => {
          // the new row is not visible to the DELETE (one snapshot): keep the keep-1 newest older ones
          await pool.query(
            `WITH added AS (INSERT INTO router_rpm (entry, at) VALUES ($1, $2) RETURNING id)
             DELETE FROM router_rpm WHERE entry = $1 AND (at <= $2::bigint - $4::bigint
               OR id IN (SELECT id FROM router_rpm WHERE entry = $1 ORDER BY at DESC, id DESC OFFSET $3))`,
            [entry, at, Math.max(0, keep - 1), WINDOW_KEEP_MS],
          );
          const w = [...(windows.get(entry) ?? []), at].filter((t) => t > at - WINDOW_KEEP_MS).sort((a, b) => a - b);
          windows.set(entry, w.slice(-keep));
        },
        () => fallback.stamp(entry, at, keep) as void,
      ),
    seen: (entry, since) => (windows.get(entry) ?? []).filter((t) => t > since),
    groups: () => Object.fromEntries(known),
    refresh,
    close: () => clearInterval(timer),
  };
}
