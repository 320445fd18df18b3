// WAL checkpoints off the message path. SQLite checkpoints inside the COMMIT
// that takes the WAL past wal_autocheckpoint pages, on the event loop: it
// fsyncs the WAL, copies the pages into the database file and fsyncs that
// file. The two fsyncs are most of the cost (1,000 pages: 3–70 ms here, by
// the disk's mood), and whichever message commits then waits for them: about
// one lone message in forty did.
//
// Here the copy still runs on the event loop (µs per page), but every fsync
// runs in libuv's thread pool, and durability stays what synchronous=NORMAL
// gives: a process crash loses nothing, a power cut loses at most the last
// commits and never leaves a half-copied database. One cycle:
//   1. a pin: a read transaction on a connection of its own. Its snapshot ends
//      at the WAL's last frame S, so no checkpoint copies past S while it is
//      held, and no writer may start the WAL over (overwrite frames) either;
//   2. fsync the WAL file (thread pool): frames up to S are on the disk;
//   3. PRAGMA wal_checkpoint(PASSIVE) on a connection with synchronous=OFF:
//      copies frames up to S into the database file, no fsync;
//   4. fsync the database file (thread pool): the copied pages are on disk;
//   5. end the pin: the WAL may now be started over.
// A power cut during 3–4 finds every frame up to S intact in the WAL and
// replays it. The main connection keeps SQLite's own checkpoint, at
// CAP_PAGES instead of 1,000, as the bound on the WAL when cycles cannot keep
// up (a writer only starts the WAL over when it is all copied, which under
// steady traffic is that checkpoint's doing): it then finds little left to
// copy, and its fsyncs little to write.
//
// A cycle runs EVERY_MS after the WAL last changed, and not while it does
// not: an idle gateway does nothing. Costs two small connections (no cache
// to speak of) and two file descriptors; no thread of its own (a worker
// thread costs about 20 MB).
//
// The file descriptors are closed only after every connection to the file in
// this process: closing any descriptor of a file drops the process's POSIX
// locks on it, SQLite's included (close() says so).
import { open, stat, type FileHandle } from "node:fs/promises";
import { DatabaseSync } from "node:sqlite";

/** the main connection's own checkpoint, the bound when cycles fall behind (4,000 pages: 16 MB of WAL) */
export const CAP_PAGES = 4000;
/** SQLite's default, restored when cycles stop */
const DEFAULT_AUTOCHECKPOINT = 1000;
/** a cycle this long after the WAL was last seen to change */
export const EVERY_MS = 100;
/** a WAL this long (frames since it was started over) gets its next cycle at once */
const HURRY_FRAMES = CAP_PAGES / 4;
/** while the WAL does not change, look this often */
const IDLE_EVERY_MS = 1000;

export interface CheckpointCycle {
  /** frames in the WAL (since it was last started over) */
  frames: number;
  /** of them, frames now in the database file */
  backfilled: number;
  /** another connection held what this cycle needed: it copied nothing and tries again next time */
  busy: boolean;
}

const NOTHING: CheckpointCycle = { frames: 0, backfilled: 0, busy: false };

/**
 * `backend` (the main connection `main` on `file`) with its WAL checkpoints
 * in the background until it closes; as it was for an in-memory database,
 * or when they cannot start (said as a process warning).
 */
export function withBackgroundCheckpoints<B extends { close(): Promise<void> }>(backend: B, main: DatabaseSync, file: string): B {
  if (file === ":memory:" || file === "") return backend;
  const warn = (err: unknown) => process.emitWarning(`background WAL checkpoints of ${file} stopped (${err instanceof Error ? err.message : String(err)}); SQLite checkpoints on its own again`);
  let checkpoints: WalCheckpointer;
  try {
    checkpoints = new WalCheckpointer(main, file, { onError: warn });
  } catch (err) {
    warn(err); // the store works without them, as before they existed
    return backend;
  }
  const close = backend.close.bind(backend);
  // the checkpointer's files close last: closing one drops the locks of the main connection
  return Object.assign(backend, {
    async close() {
      await checkpoints.stop();
      await close();
      await checkpoints.close();
    },
  });
}

export interface WalCheckpointerOptions {
  /** a cycle failed (an fsync error, a database that went away): cycles stop and SQLite's own checkpoints take over */
  onError?: (err: Error) => void;
  everyMs?: number;
}

export class WalCheckpointer {
  private readonly main: DatabaseSync;
  private readonly file: string;
  private readonly opts: WalCheckpointerOptions;
  private readonly pin: DatabaseSync;
  private readonly copier: DatabaseSync;
  private dbFile: FileHandle | undefined;
  private walFile: FileHandle | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private closed = false;
  /** size and mtime of the WAL after the last cycle */
  private seen = "";
  /** frames of the WAL in the database file after the last cycle */
  private backfilled = 0;
  /** when the last cycle ended (Date.now()) */
  private cycledAt = 0;
  /** cycles that ran (busy ones included) */
  cycles = 0;

  /** starts cycles for the main connection `main` of the database file `file` (in WAL mode) */
  constructor(main: DatabaseSync, file: string, opts: WalCheckpointerOptions = {}) {
    this.main = main;
    this.file = file;
    this.opts = opts;
    this.pin = new DatabaseSync(file, { timeout: 0 });
    try {
      this.copier = new DatabaseSync(file, { timeout: 0 });
    } catch (err) {
      this.pin.close();
      throw err;
    }
    try {
      this.copier.exec("PRAGMA synchronous = OFF"); // the fsyncs are ours, in the thread pool
      for (const db of [this.pin, this.copier]) db.exec("PRAGMA cache_size = -64"); // they read next to nothing
    } catch (err) {
      this.closeConnections();
      throw err;
    }
    main.exec(`PRAGMA wal_autocheckpoint = ${CAP_PAGES}`);
    this.schedule(opts.everyMs ?? EVERY_MS);
  }

  /**
   * Runs one cycle now (after the one under way, if any); what it copied.
   * Rejects when a step failed (then cycles have stopped).
   */
  async checkpoint(): Promise<CheckpointCycle> {
    while (this.running) await this.running;
    if (this.stopped) return NOTHING;
    let out!: CheckpointCycle;
    const run = this.cycle().then((c) => void (out = c));
    this.running = run.catch(() => undefined).finally(() => (this.running = undefined));
    await run;
    return out;
  }

  /** no more cycles; waits for the one under way and hands the checkpoints back to SQLite */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.running) await this.running;
    try {
      this.main.exec(`PRAGMA wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT}`);
    } catch {
      // the main connection is closed already: nothing to hand back
    }
  }

  /**
   * Closes its connections and files. Call it after stop() and after the
   * main connection closed: closing a descriptor of the file drops this
   * process's locks on it, and the last connection to close checkpoints
   * the rest (with synchronous=NORMAL: the copier is set back first).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.stop();
    this.closed = true;
    this.closeConnections();
    const files = [this.dbFile, this.walFile];
    this.dbFile = this.walFile = undefined;
    await Promise.allSettled(files.map((f) => f?.close()));
  }

  private closeConnections(): void {
    try {
      this.copier.exec("PRAGMA synchronous = NORMAL");
    } catch {
      // not open: nothing it could checkpoint
    }
    for (const db of [this.copier, this.pin]) {
      try {
        db.close();
      } catch {
        // already closed
      }
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  /** a cycle when the WAL changed since the last one */
  private async tick(): Promise<void> {
    this.timer = undefined;
    let now: string;
    try {
      const st = await stat(`${this.file}-wal`);
      now = `${st.size}:${st.mtimeMs}`;
    } catch {
      now = ""; // no WAL yet (or any more): nothing to copy
    }
    if (this.stopped) return;
    if (now === "" || now === this.seen) {
      // quiet since the last cycle: look again soon while it was busy a moment ago, then seldom
      return this.schedule(Date.now() - this.cycledAt < IDLE_EVERY_MS ? (this.opts.everyMs ?? EVERY_MS) : IDLE_EVERY_MS);
    }
    let cycle: CheckpointCycle;
    try {
      cycle = await this.checkpoint();
    } catch {
      return; // reported; cycles have stopped
    }
    // A writer starts the WAL over only when all of it is copied, and commits made while a cycle
    // waited on its fsyncs are not: under steady traffic a long WAL gets cycles back to back until
    // one finds a quiet moment, rather than leaving the restart to the main connection's checkpoint.
    // Only while cycles get further: a reader elsewhere holding frames back (another process's long
    // read) stops the progress, and more cycles would not help.
    const hurry = cycle.frames >= HURRY_FRAMES && !cycle.busy && cycle.backfilled > this.backfilled;
    this.backfilled = cycle.backfilled;
    this.schedule(hurry ? 0 : (this.opts.everyMs ?? EVERY_MS));
  }

  private async cycle(): Promise<CheckpointCycle> {
    let pinned = false;
    try {
      // opened once and kept: closing one would drop SQLite's locks (see close())
      this.dbFile ??= await open(this.file, "r");
      this.walFile ??= await open(`${this.file}-wal`, "r");
      if (this.stopped) return NOTHING;
      // 1. the pin: a snapshot of the WAL as it is now
      this.pin.exec("BEGIN");
      pinned = true;
      this.pin.prepare("SELECT count(*) FROM sqlite_schema").get();
      // 2. the frames up to the pin on disk
      await this.walFile.sync();
      // 3. copy them (no fsync: synchronous=OFF on this connection)
      const row = this.copier.prepare("PRAGMA wal_checkpoint(PASSIVE)").get() as { busy: number; log: number; checkpointed: number };
      // 4. the copied pages on disk, before the pin lets the WAL be started over
      await this.dbFile.sync();
      this.cycles++;
      this.cycledAt = Date.now();
      const st = await stat(`${this.file}-wal`).catch(() => undefined);
      this.seen = st ? `${st.size}:${st.mtimeMs}` : "";
      return { frames: Math.max(0, row.log), backfilled: Math.max(0, row.checkpointed), busy: row.busy !== 0 };
    } catch (err) {
      if (isBusy(err)) {
        this.cycles++;
        return { ...NOTHING, busy: true }; // another process holds a lock for a moment: next time
      }
      this.fail(err);
      throw err;
    } finally {
      // 5. the WAL may be started over
      if (pinned && this.pin.isTransaction) this.pin.exec("ROLLBACK"); // it read only: nothing to commit
    }
  }

  private fail(err: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    try {
      this.main.exec(`PRAGMA wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT}`);
    } catch {
      // closed: nothing to hand back
    }
    this.opts.onError?.(err instanceof Error ? err : new Error(String(err)));
  }
}

/** SQLITE_BUSY or SQLITE_LOCKED: another connection holds the lock for now */
function isBusy(err: unknown): boolean {
  const code = (err as { errcode?: number } | undefined)?.errcode;
  return code !== undefined && (code & 0xff) >= 5 && (code & 0xff) <= 6;
}
