// Flushes the daemon's WAL to disk in the thread pool while turns run, so
// the checkpoint SQLite runs at its bound (inside a commit, on the main
// thread: checkpoint.ts) finds little left to write. That checkpoint first
// fsyncs the WAL, and with synchronous=NORMAL nothing had flushed the ~40 MB
// a never-quiet gateway wrote since the last one: the fsync alone held one
// message for 33–45 ms on the 2-core machine (strace of bench/latency-lone.ts).
// Flushed every 100 ms, it finds at most that much time's writes.
//
// Durability does not depend on this: an extra fsync only writes earlier what
// SQLite would write at the checkpoint. A write error it meets is still
// reported to SQLite's own fsync (Linux reports it to every descriptor that
// was open when it happened), so it hides nothing.
import { close, fdatasync, open } from "node:fs";
import type { TurnWork } from "../core/turn-work.ts";

/** at most one flush per this long while turns run */
export const PRESYNC_EVERY_MS = 100;

/** flushes `file` to disk off the main thread; calls back once done, failed or not */
export type FlushFile = (file: string, done: () => void) => void;

/** open, fdatasync and close, each in the thread pool; a missing file (no WAL yet) is nothing to flush */
export const flushInThreadPool: FlushFile = (file, done) => {
  open(file, "r", (err, fd) => {
    if (err) return done();
    fdatasync(fd, () => close(fd, () => done()));
  });
};

export interface WalPresyncOptions {
  /** the turns whose writes make the WAL grow */
  work: Pick<TurnWork, "started" | "underWay">;
  everyMs?: number;
  flush?: FlushFile;
  now?: () => number;
}

/**
 * One flush at a time, started by poke() when turns ran since the last one
 * began, at most one per `everyMs`; while turns keep running, each flush that
 * ends pokes again, so a burst is flushed every `everyMs` without anyone
 * asking. An idle gateway flushes nothing.
 */
export class WalPresync {
  private readonly file: string;
  private readonly work: WalPresyncOptions["work"];
  private readonly everyMs: number;
  private readonly flush: FlushFile;
  private readonly now: () => number;
  private flushing = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  /** work.started when the last flush began */
  private flushedAtTurn: number;
  private lastBegan = Number.NEGATIVE_INFINITY;

  constructor(walFile: string, opts: WalPresyncOptions) {
    this.file = walFile;
    this.work = opts.work;
    this.everyMs = opts.everyMs ?? PRESYNC_EVERY_MS;
    this.flush = opts.flush ?? flushInThreadPool;
    this.now = opts.now ?? (() => performance.now());
    this.flushedAtTurn = opts.work.started;
  }

  /** a turn ended, or the checkpointer looked: flush if turns wrote since the last flush */
  poke(): void {
    if (this.stopped || this.flushing || this.timer) return;
    if (this.work.underWay === 0 && this.work.started === this.flushedAtTurn) return;
    const wait = this.lastBegan + this.everyMs - this.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.poke();
      }, wait);
      this.timer.unref();
      return;
    }
    this.flushing = true;
    this.flushedAtTurn = this.work.started;
    this.lastBegan = this.now();
    this.flush(this.file, () => {
      this.flushing = false;
      this.poke();
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
