// The gateway's WAL checkpoints, moved out of the commits of the messages it
// answers. SQLite's automatic checkpoint runs inside the COMMIT that takes the
// WAL past `wal_autocheckpoint` pages (1,000 by default): on the main thread,
// with its two fsyncs, so the message whose commit crossed the line paid
// 5–25 ms for it (about one lone message in fifty, bench/README.md). Here the
// daemon checkpoints when no turn has run for a moment instead, and SQLite's
// own checkpoint stays only as the bound for a gateway that is never quiet.
//
// Durability does not depend on any of this: with synchronous=NORMAL a
// transaction is kept across a process crash once its COMMIT returned (db.ts),
// and a checkpoint only copies committed pages from the WAL into the database
// file, which SQLite does in an order that a crash at any moment survives.
//
// Only the daemon does this. Any other process that opens the database (the
// CLI's `agent`, `pairing approve`, …) keeps SQLite's default automatic
// checkpoint, and the last connection to close checkpoints and removes the WAL.
import type { StatementSync } from "node:sqlite";
import { afterEachIdle, type TurnWork } from "../core/turn-work.ts";
import type { Db } from "./db.ts";
import type { StoreBackend } from "./backend.ts";
import type { SqliteBackend } from "./sqlite-backend.ts";
import { WAL_SIZE_LIMIT_BYTES } from "./db.ts";
import { WalPresync, type FlushFile } from "./wal-presync.ts";

/**
 * The bound, in WAL pages, past which SQLite checkpoints inside a commit as
 * before: reached only by a gateway that never has a quiet moment (a burst, or
 * lone messages answered back to back). A lone message writes ~16 pages
 * (strace, stop 16), so that is one commit in ~600 instead of one in ~60; the
 * WAL stays under ~41 MB (walKeptBytes).
 */
export const WAL_BOUND_PAGES = 10_000;
/**
 * The WAL file's size SQLite may leave in place while the daemon runs: the
 * bound's pages and a margin. SQLite trims a WAL past journal_size_limit at
 * the first commit after it starts over, and trimming ~40 MB back to db.ts's
 * 4 MB took that commit 16–19 ms each time a never-quiet gateway reached the
 * bound (strace of bench/latency-lone.ts). A gateway that was busy keeps a
 * WAL file of up to this size until it stops (its last connection removes it).
 */
export function walKeptBytes(boundPages: number, pageSize: number): number {
  return 32 + Math.ceil(boundPages * 1.25) * (24 + pageSize);
}
/** SQLite's default automatic checkpoint, restored when the daemon stops checkpointing itself */
export const SQLITE_AUTOCHECKPOINT_PAGES = 1000;
/** no turn for this long after the last one ended: a checkpoint then delays no one (before settle-memory's look at 250 ms) */
export const CHECKPOINT_QUIET_MS = 100;
/** at most one checkpoint that copies pages per this long, and a look this often for writes made outside turns */
export const CHECKPOINT_EVERY_MS = 5000;

/** what `PRAGMA wal_checkpoint` reports */
export interface CheckpointResult {
  /** 1 when it could not finish (another connection held a lock it needed) */
  busy: number;
  /** frames in the WAL */
  log: number;
  /** frames of the WAL now in the database file */
  checkpointed: number;
}

/**
 * A PASSIVE checkpoint on `db`: copies what it can without waiting for any
 * reader or writer (it never calls the busy handler), so it never blocks.
 * Does nothing and returns undefined while `db` is inside a transaction (a
 * checkpoint there would fail with "database table is locked").
 */
export function passiveCheckpoint(db: Db, stmt: StatementSync = db.prepare(PASSIVE)): CheckpointResult | undefined {
  if (db.isTransaction) return undefined;
  return stmt.get() as unknown as CheckpointResult;
}

const PASSIVE = "PRAGMA wal_checkpoint(PASSIVE)";

export interface QuietCheckpointOptions {
  /** the turns whose end makes a quiet moment */
  work: Pick<TurnWork, "underWay" | "started" | "whenIdle">;
  quietMs?: number;
  everyMs?: number;
  /** WAL pages past which SQLite checkpoints inside a commit */
  boundPages?: number;
  now?: () => number;
  /** told after each checkpoint that copied pages */
  onCheckpoint?: (r: CheckpointResult & { ms: number }) => void;
  /** a checkpoint failed (e.g. the disk); the bound still holds the WAL, and the store's health probe reports a store that cannot be written */
  onError?: (err: unknown) => void;
  /** how the WAL is flushed between checkpoints (wal-presync.ts; tests) */
  flush?: FlushFile;
}

/**
 * Decides, one look at a time, whether to checkpoint: only when no turn runs,
 * the last one ended at least `quietMs` ago, and the last checkpoint that
 * copied anything is `everyMs` old. A look that finds the WAL already in the
 * database file costs a few microseconds and no I/O.
 */
export class QuietCheckpointer {
  private readonly db: Db;
  private readonly work: QuietCheckpointOptions["work"];
  private readonly quietMs: number;
  private readonly everyMs: number;
  private readonly now: () => number;
  private readonly onCheckpoint: QuietCheckpointOptions["onCheckpoint"];
  private readonly stmt: StatementSync;
  private lastEnd: number;
  private lastCopy = Number.NEGATIVE_INFINITY;
  /** the previous look's result: the same again means nothing was copied */
  private last: CheckpointResult | undefined;

  constructor(db: Db, opts: QuietCheckpointOptions) {
    this.db = db;
    this.work = opts.work;
    this.quietMs = opts.quietMs ?? CHECKPOINT_QUIET_MS;
    this.everyMs = opts.everyMs ?? CHECKPOINT_EVERY_MS;
    this.now = opts.now ?? (() => performance.now());
    this.onCheckpoint = opts.onCheckpoint;
    this.stmt = db.prepare(PASSIVE);
    this.lastEnd = this.now();
  }

  /** the last running turn ended */
  workEnded(): void {
    this.lastEnd = this.now();
  }

  /** one look; the checkpoint's result when it ran one that copied pages */
  look(): CheckpointResult | undefined {
    const now = this.now();
    if (this.work.underWay > 0 || now - this.lastEnd < this.quietMs || now - this.lastCopy < this.everyMs) return undefined;
    const r = passiveCheckpoint(this.db, this.stmt);
    if (!r) return undefined;
    const before = this.last;
    this.last = r;
    // nothing in the WAL, or what it holds was in the database file already at the previous look
    if (r.checkpointed <= 0 || (before && before.log === r.log && before.checkpointed === r.checkpointed)) return undefined;
    const end = this.now();
    this.lastCopy = end;
    this.onCheckpoint?.({ ...r, ms: end - now });
    return r;
  }
}

/**
 * Starts the daemon's own checkpoints on a SQLite store: SQLite's automatic
 * checkpoint is raised to `boundPages` (and the WAL size it trims back to, to
 * match), a look comes `quietMs` after the last running turn ends and every
 * `everyMs` (unref'd timers: they never keep the process alive), and the WAL
 * is flushed in the thread pool while turns run (wal-presync.ts). Returns the
 * stop, which restores SQLite's defaults; on any other store (PostgreSQL) it
 * does nothing.
 */
export function checkpointWhenQuiet(store: StoreBackend, opts: QuietCheckpointOptions): () => void {
  if (store.kind !== "sqlite") return () => {};
  const db = (store as SqliteBackend).sync.db;
  // an in-memory database has no WAL to keep short
  if ((db.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode !== "wal") return () => {};
  const bound = opts.boundPages ?? WAL_BOUND_PAGES;
  const pageSize = (db.prepare("PRAGMA page_size").get() as { page_size: number }).page_size;
  db.exec(`PRAGMA wal_autocheckpoint = ${bound}`);
  db.exec(`PRAGMA journal_size_limit = ${walKeptBytes(bound, pageSize)}`);
  const checkpointer = new QuietCheckpointer(db, opts);
  const presync = new WalPresync(`${db.location()}-wal`, { work: opts.work, ...(opts.flush ? { flush: opts.flush } : {}) });
  const look = () => {
    presync.poke();
    try {
      checkpointer.look();
    } catch (err) {
      opts.onError?.(err);
    }
  };
  const timer = setInterval(look, opts.everyMs ?? CHECKPOINT_EVERY_MS);
  timer.unref();
  const ended = () => {
    checkpointer.workEnded();
    presync.poke();
  };
  const stopAfterWork = afterEachIdle(opts.work, opts.quietMs ?? CHECKPOINT_QUIET_MS, ended, look);
  return () => {
    stopAfterWork();
    clearInterval(timer);
    presync.stop();
    if (db.isOpen) {
      db.exec(`PRAGMA wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
      db.exec(`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    }
  };
}
