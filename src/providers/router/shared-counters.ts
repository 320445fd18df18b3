// Round-robin positions and rpm windows, shared by every process that uses
// the same state directory: a running gateway and each one-shot `agent -m`
// see the same counters, so consecutive one-shot runs spread over a group and
// an entry's rpm holds across all of them.
//
// Storage: a small SQLite database (node:sqlite, WAL) next to router.json.
// Round-robin positions are written behind: a process reads a group's
// counter once, hands out positions from memory and adds what it handed out
// to the stored counter (reading back the sum, other processes' takes
// included) at most once a second, when `status` asks, on close and at exit.
// A commit per model call was a quarter of the gateway's commits; a crash
// loses at most a second of positions, which costs fairness, not
// correctness. rpm stamps are written at once: a limit must hold across
// processes. Each write is one short IMMEDIATE transaction, which SQLite
// serializes across processes; busy_timeout makes a writer wait for another
// instead of failing. The in-memory variant (tests, no state directory) has
// the same interface. Rows hold group names, an entry fingerprint and
// timestamps: no key, no URL.
//
// The interface allows asynchronous stores (src/fleet/router-counters.ts keeps
// the counters in PostgreSQL, shared by a fleet of gateways): the operations
// on a request's path may return promises, while the views `status` reads
// (peek, seen, groups) stay synchronous and show, for a shared store, what
// this process last read or wrote. The synchronous stores answer everything
// at once, so the router plans exactly as before with them.
import { chmodSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";

/** a value, or a promise of it from an asynchronous store */
export type MaybePromise<T> = T | Promise<T>;

export interface RouterCounters {
  /** The group's counter before this request, and counts this request (atomic). */
  take(group: string): MaybePromise<number>;
  /** The group's counter without counting (a shared asynchronous store: as last seen). */
  peek(group: string): number;
  /** Timestamps of calls after `since`, oldest first. */
  stamps(entry: string, since: number): MaybePromise<number[]>;
  /** Counts one call; keeps at most `keep` newest stamps for the entry. */
  stamp(entry: string, at: number, keep: number): MaybePromise<void>;
  /** stamps() for `status`, synchronously (a shared asynchronous store: the window as last seen). */
  seen(entry: string, since: number): number[];
  /** Every group's counter (for `status`; a shared asynchronous store: as last seen). */
  groups(): Record<string, number>;
  close(): MaybePromise<void>;
}

/** Runs `fn` on a value now, or when its promise settles (keeps synchronous stores synchronous). */
export function whenReady<T, R>(v: MaybePromise<T>, fn: (value: T) => R): MaybePromise<R> {
  return v instanceof Promise ? v.then(fn) : fn(v);
}

export function memoryCounters(): RouterCounters {
  const counters = new Map<string, number>();
  const windows = new Map<string, number[]>();
  const prune = (entry: string, since: number) => {
    const w = windows.get(entry) ?? [];
    const kept = w.filter((t) => t > since);
    windows.set(entry, kept);
    return kept;
  };
  return {
    take(group) {
      const c = counters.get(group) ?? 0;
      counters.set(group, c + 1);
      return c;
    },
    peek: (group) => counters.get(group) ?? 0,
    stamps: (entry, since) => [...prune(entry, since)],
    seen: (entry, since) => [...prune(entry, since)],
    stamp(entry, at, keep) {
      const w = windows.get(entry) ?? [];
      w.push(at);
      if (w.length > keep) w.splice(0, w.length - keep);
      windows.set(entry, w);
    },
    groups: () => Object.fromEntries(counters),
    close() {},
  };
}

const BUSY_TIMEOUT_MS = 2000;
/** how long handed-out round-robin positions may wait before they are added to the file */
export const POSITION_FLUSH_MS = 1000;
/** stamps older than this are never asked for (the rpm window is 60 s) */
const WINDOW_KEEP_MS = 60_000;

// a one-shot run that ends without close() still writes its positions (one listener for all stores)
const flushAtExit = new Set<() => void>();
process.once("exit", () => {
  for (const flush of flushAtExit) flush();
});

/**
 * Counters in a SQLite file shared by processes. When the file cannot be
 * opened (read-only state directory), `onError` is told once and the
 * in-memory counters are used: routing must never stop over bookkeeping.
 */
export function sqliteCounters(file: string, onError?: (err: Error) => void): RouterCounters {
  let db: DatabaseSync;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    db = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS });
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec(`CREATE TABLE IF NOT EXISTS rr (grp TEXT PRIMARY KEY, n INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS rpm (entry TEXT NOT NULL, at INTEGER NOT NULL);
             CREATE INDEX IF NOT EXISTS rpm_entry_at ON rpm (entry, at);`);
    try {
      chmodSync(file, 0o600);
    } catch {
      // the owner's umask stays in force
    }
  } catch (err) {
    onError?.(err as Error);
    return memoryCounters();
  }
  const add = db.prepare("INSERT INTO rr (grp, n) VALUES (?, ?) ON CONFLICT(grp) DO UPDATE SET n = n + excluded.n RETURNING n");
  const peek = db.prepare("SELECT n FROM rr WHERE grp = ?");
  const all = db.prepare("SELECT grp, n FROM rr");
  const list = db.prepare("SELECT at FROM rpm WHERE entry = ? AND at > ? ORDER BY at");
  const addStamp = db.prepare("INSERT INTO rpm (entry, at) VALUES (?, ?)");
  const expire = db.prepare("DELETE FROM rpm WHERE entry = ? AND at <= ?");
  const count = db.prepare("SELECT count(*) AS n FROM rpm WHERE entry = ?");
  const trim = db.prepare("DELETE FROM rpm WHERE entry = ? AND rowid NOT IN (SELECT rowid FROM rpm WHERE entry = ? ORDER BY at DESC, rowid DESC LIMIT ?)");
  let failed = false;
  const fallback = memoryCounters();
  // a locked or broken database degrades to per-process counting, told once
  const guard = <T>(fn: () => T, alt: () => T): T => {
    if (failed) return alt();
    try {
      return fn();
    } catch (err) {
      failed = true;
      onError?.(err as Error);
      return alt();
    }
  };
  const tx = <T>(fn: () => T): T => {
    db.exec("BEGIN IMMEDIATE");
    try {
      const v = fn();
      db.exec("COMMIT");
      return v;
    } catch (err) {
      db.exec("ROLLBACK");
      throw err;
    }
  };
  // write-behind round-robin: the stored counter as last read or written, plus what was handed out since
  const stored = new Map<string, number>();
  const pending = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  const storedOf = (group: string): number => {
    let n = stored.get(group);
    if (n === undefined) {
      n = Number((peek.get(group) as { n: number } | undefined)?.n ?? 0);
      stored.set(group, n);
    }
    return n;
  };
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!pending.size || failed) return;
    const batch = [...pending];
    pending.clear();
    guard(
      () =>
        tx(() => {
          for (const [group, n] of batch) stored.set(group, Number((add.get(group, n) as { n: number }).n));
        }),
      () => undefined, // the file failed: these positions are lost, which costs fairness only
    );
  };
  flushAtExit.add(flush);
  const takeNow = (group: string): number => {
    const before = storedOf(group) + (pending.get(group) ?? 0);
    pending.set(group, (pending.get(group) ?? 0) + 1);
    timer ??= setTimeout(flush, POSITION_FLUSH_MS).unref();
    return before;
  };
  const stampsNow = (entry: string, since: number): number[] =>
    guard(() => (list.all(entry, since) as { at: number }[]).map((r) => Number(r.at)), () => fallback.seen(entry, since));
  return {
    take: (group) => guard(() => takeNow(group), () => fallback.take(group)),
    peek: (group) => guard(() => storedOf(group) + (pending.get(group) ?? 0), () => fallback.peek(group)),
    // a read needs no transaction; stamp() keeps each window at `keep` rows
    stamps: stampsNow,
    seen: stampsNow,
    stamp: (entry, at, keep) =>
      guard(
        () =>
          tx(() => {
            addStamp.run(entry, at);
            expire.run(entry, at - WINDOW_KEEP_MS);
            // the limiter never lets a window outgrow `keep`; a clock jump backwards could
            if (Number((count.get(entry) as { n: number }).n) > keep) trim.run(entry, entry, keep);
          }),
        () => fallback.stamp(entry, at, keep),
      ),
    groups: () => {
      flush();
      return guard(() => Object.fromEntries((all.all() as { grp: string; n: number }[]).map((r) => [r.grp, Number(r.n)])), () => fallback.groups());
    },
    close: () => {
      flushAtExit.delete(flush);
      flush();
      try {
        db.close();
      } catch {
        // already closed
      }
    },
  };
}
