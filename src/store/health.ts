// Whether the store can take writes right now. A write that fails because
// the disk is full, the file went read-only or the device errors is not a
// bug in the turn: the gateway keeps the turn pending, reports the store's
// state in `status` and `/ready`, probes until a write works again, and then
// answers what waited. Anything else thrown by SQLite is an ordinary error.

import { pgFault } from "./pg/faults.ts";

/** The closed set of storage faults the gateway waits out. */
export type StoreFault = "full" | "read_only" | "io" | "busy" | "unreachable";

export type StoreState = "ok" | StoreFault;

// SQLite primary result codes (the low byte of an extended code).
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;

/** The storage fault behind `err`, or undefined when it is not one. Looks through `cause`. */
export function storeFault(err: unknown): StoreFault | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (typeof e !== "object") return undefined;
    const { code, errcode } = e as { code?: unknown; errcode?: unknown };
    if (code === "ENOSPC") return "full";
    if (code === "EROFS" || code === "EACCES" || code === "EPERM") return "read_only";
    if (code === "EIO") return "io";
    const server = pgFault(code);
    if (server) return server;
    if (code !== "ERR_SQLITE_ERROR" || typeof errcode !== "number") continue;
    switch (errcode & 0xff) {
      case SQLITE_FULL:
        return "full";
      case SQLITE_READONLY:
        return "read_only";
      case SQLITE_IOERR:
      case SQLITE_CANTOPEN:
        return "io";
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        return "busy";
    }
  }
  return undefined;
}

const SENTENCES: Record<StoreFault, string> = {
  full: "the disk holding the database is full; free some space (answers resume by themselves)",
  read_only: "the database is read-only; make its file and directory writable (answers resume by themselves)",
  io: "the database could not be written (I/O error); check the disk (answers resume by themselves)",
  busy: "the database is locked by another process; stop it (answers resume by themselves)",
  unreachable: "the database server cannot be reached; check that PostgreSQL is running and store.url points at it (answers resume by themselves)",
};

export interface StoreHealthSnapshot {
  state: StoreState;
  /** epoch ms the state began */
  since: number;
  /** what to do, when not ok */
  detail?: string;
  /** writes that failed since the process started */
  failedWrites: number;
}

export interface StoreHealthOptions {
  now?: () => number;
  /** first wait before probing a faulted store; default 2 s, doubling to 60 s */
  probeEveryMs?: number;
}

/**
 * Tracks the store's state. `failed` is called with any error from a write;
 * it returns true (and changes the state) only for a storage fault, and then
 * probes (the prober is a real write that needs new space) with backoff
 * until one works: `ok` then clears the fault and tells the listeners.
 */
export class StoreHealth {
  private current: StoreState = "ok";
  private since: number;
  private failures = 0;
  private readonly listeners = new Set<() => void>();
  private readonly now: () => number;
  private prober: (() => void | Promise<void>) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private delay = 0;
  private readonly firstDelay: number;

  constructor(opts: StoreHealthOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.since = this.now();
    this.firstDelay = opts.probeEveryMs ?? 2000;
  }

  /** the write that proves the store works again; throws while it does not */
  setProbe(probe: () => void | Promise<void>): void {
    this.prober = probe;
  }

  /** stops probing (shutdown) */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.prober = undefined;
  }

  get state(): StoreState {
    return this.current;
  }

  get writable(): boolean {
    return this.current === "ok";
  }

  /** true when `err` is a storage fault (now recorded); false for any other error */
  failed(err: unknown): boolean {
    const fault = storeFault(err);
    if (!fault) return false;
    this.failures++;
    if (this.current !== fault) {
      this.current = fault;
      this.since = this.now();
    }
    if (!this.timer && this.prober) this.scheduleProbe();
    return true;
  }

  /** a write succeeded: the fault is over; listeners (waiting turns) run */
  ok(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.delay = 0;
    if (this.current === "ok") return;
    this.current = "ok";
    this.since = this.now();
    for (const fn of this.listeners) fn();
  }

  private scheduleProbe(): void {
    this.delay = this.delay ? Math.min(60_000, this.delay * 2) : this.firstDelay;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const probe = this.prober;
      if (!probe) return;
      const failedProbe = (err: unknown) => {
        if (!this.failed(err) && !this.timer) this.scheduleProbe(); // an odd error: keep trying
      };
      let pending: void | Promise<void>;
      try {
        pending = probe();
      } catch (err) {
        failedProbe(err);
        return;
      }
      // a PostgreSQL probe is a round trip; SQLite's returns at once
      if (pending instanceof Promise) pending.then(() => this.ok(), failedProbe);
      else this.ok();
    }, this.delay);
    this.timer.unref();
  }

  /** called each time the store becomes writable again */
  onRecovered(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  snapshot(): StoreHealthSnapshot {
    return {
      state: this.current,
      since: this.since,
      failedWrites: this.failures,
      ...(this.current !== "ok" ? { detail: SENTENCES[this.current] } : {}),
    };
  }
}
