// Gives memory back to the system once the gateway has gone quiet: after its
// start, and after a burst of messages. V8 keeps the pages its heap grew into
// (the young generation at its largest, old-generation pages emptied by the
// burst) until a full collection says it may shrink them, and a process that
// just sits waiting for messages allocates too little to ever trigger one.
// Measured against the fakes (bench/README.md): one full collection ~3 s after
// /ready takes the idle gateway from 106–110 to 98–101 MB, and after a
// 3,000-message burst from 161 to 131 MB; each costs ~100 ms of CPU, so it runs
// only when the event loop has been quiet for a few seconds and the resident
// memory grew since the last one.
import { performance, type EventLoopUtilization } from "node:perf_hooks";
import v8 from "node:v8";
import vm from "node:vm";

export interface SettleOptions {
  /** the gateway is serving (its start's own garbage is settled once it is) */
  ready: () => boolean;
  /** resident memory, bytes */
  rss?: () => number;
  /** share of the time since the last call the event loop was busy, 0..1 */
  busyShare?: () => number;
  /** a full, memory-reducing collection; none: settling is off */
  collect?: (() => void) | undefined;
  /** told after each collection */
  onSettled?: (e: { beforeBytes: number; afterBytes: number; cpuMs: number }) => void;
}

/** how often the event loop and the memory are looked at */
export const SETTLE_INTERVAL_MS = 1000;
/** quiet looks in a row before collecting: a burst's pauses between batches are shorter */
export const SETTLE_QUIET_TICKS = 3;
/** below this busy share a look counts as quiet (a lone message every few seconds still is) */
export const SETTLE_QUIET_SHARE = 0.05;
/** resident growth since the last collection that makes another worth its CPU */
export const SETTLE_GROWTH_BYTES = 8 * 1024 * 1024;

/**
 * Decides, one look at a time, when to collect. The first collection comes
 * once the gateway is ready and quiet; later ones only after the resident
 * memory grew by SETTLE_GROWTH_BYTES since the last, so a gateway that has
 * nothing to give back is not collected again and again.
 */
export class MemorySettler {
  private quiet = 0;
  private settledBytes: number | undefined;
  private readonly rss: () => number;
  private readonly busyShare: () => number;
  private readonly opts: SettleOptions;

  constructor(opts: SettleOptions) {
    this.opts = opts;
    this.rss = opts.rss ?? (() => process.memoryUsage.rss());
    this.busyShare = opts.busyShare ?? loopBusyShare();
  }

  /** one look; true when it collected */
  tick(): boolean {
    const share = this.busyShare();
    if (!this.opts.collect || !this.opts.ready()) {
      this.quiet = 0;
      return false;
    }
    this.quiet = share < SETTLE_QUIET_SHARE ? this.quiet + 1 : 0;
    if (this.quiet < SETTLE_QUIET_TICKS) return false;
    const before = this.rss();
    if (this.settledBytes !== undefined && before < this.settledBytes + SETTLE_GROWTH_BYTES) return false;
    const cpu0 = process.cpuUsage();
    this.opts.collect();
    const cpu = process.cpuUsage(cpu0);
    this.settledBytes = this.rss();
    this.quiet = 0;
    this.opts.onSettled?.({ beforeBytes: before, afterBytes: this.settledBytes, cpuMs: (cpu.user + cpu.system) / 1000 });
    return true;
  }
}

/** looks every SETTLE_INTERVAL_MS (an unref'd timer: it never keeps the process alive); returns the stop */
export function settleMemoryWhenQuiet(opts: Omit<SettleOptions, "collect"> & { collect?: (() => void) | undefined }): () => void {
  const settler = new MemorySettler({ ...opts, collect: "collect" in opts ? opts.collect : fullCollection() });
  const timer = setInterval(() => settler.tick(), SETTLE_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** busy share of the event loop since the previous call */
function loopBusyShare(): () => number {
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, last);
    last = now;
    return delta.utilization;
  };
}

/**
 * V8's full collection without starting Node with --expose-gc (which would put
 * `gc` on the global object of every process the unit starts): the flag is set
 * just long enough for one new context to receive the function. Undefined when
 * this Node refuses, and then nothing is collected.
 */
export function fullCollection(): (() => void) | undefined {
  try {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as unknown;
    v8.setFlagsFromString("--no-expose-gc");
    if (typeof gc !== "function") return undefined;
    const collect = gc as (o: { type: "major"; execution: "sync"; flavor: "last-resort" }) => void;
    return () => collect({ type: "major", execution: "sync", flavor: "last-resort" });
  } catch {
    return undefined;
  }
}
