// Flushes the daemon's WAL to disk in the thread pool while turns keep
// coming, so the checkpoint SQLite runs at its bound (inside a commit, on the
// main thread: checkpoint.ts) finds little left to write. That checkpoint first
// fsyncs the WAL, and with synchronous=NORMAL nothing had flushed the ~40 MB
// a never-quiet gateway wrote since the last one: the fsync alone held one
// message for 33–45 ms on the 2-core machine (strace of bench/latency-lone.ts).
// Flushed every 100 ms while messages keep coming, it finds at most that
// much time's writes.
//
// Durability does not depend on this: an extra fsync only writes earlier what
// SQLite would write at the checkpoint. A write error it meets is still
// reported to SQLite's own fsync (Linux reports it to every descriptor that
// was open when it happened), so it hides nothing.
import { close, fdatasync, open } from "node:fs";
import type { TurnWork } from "../core/turn-work.ts";

/** a flush this long after a poke, and after each flush, while turns keep coming */
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
}

/**
 * Flushes only while turns keep coming. poke() (a turn ended, the
 * checkpointer looked) arms one timer; when it fires `everyMs` later the WAL
 * is flushed if a turn runs or one started since the poke, and a flush that
 * ends pokes again, so a burst or a stream of messages is flushed every
 * `everyMs` or so. A gateway that answers a message and falls quiet flushes
 * nothing: the quiet checkpoint (checkpoint.ts) comes then and syncs the WAL
 * itself. One flush at a time.
 */
export class WalPresync {
  private readonly file: string;
  private readonly work: WalPresyncOptions["work"];
  private readonly everyMs: number;
  private readonly flush: FlushFile;
  private flushing = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(walFile: string, opts: WalPresyncOptions) {
    this.file = walFile;
    this.work = opts.work;
    this.everyMs = opts.everyMs ?? PRESYNC_EVERY_MS;
    this.flush = opts.flush ?? flushInThreadPool;
  }

  /** a turn ended, or the checkpointer looked: flush `everyMs` from now if turns are still coming then */
  poke(): void {
    if (this.stopped || this.flushing || this.timer) return;
    const startedBefore = this.work.started;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped || (this.work.underWay === 0 && this.work.started === startedBefore)) return;
      this.flushing = true;
      this.flush(this.file, () => {
        this.flushing = false;
        this.poke();
      });
    }, this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
