// Gives memory back to the system once the gateway has gone quiet: after its
// start, and after a burst of messages. V8 keeps the pages its heap grew into
// (the young generation at its largest, old-generation pages emptied by the
// burst) until a full collection says it may shrink them, and a process that
// just sits waiting for messages allocates too little to ever trigger one.
// Measured against the fakes (bench/README.md): one full collection ~3 s after
// /ready takes the idle gateway from 106–110 to 98–101 MB, and after a
// 3,000-message burst from 161 to 131 MB.
//
// Each collection stops the process for ~50–120 ms of CPU, and a message that
// arrives meanwhile waits for it. So it never starts while a turn runs (a
// turn waiting seconds for a model leaves the event loop idle, which alone
// would look quiet), nor when a turn started since the previous look (messages
// are flowing), nor while the event loop is busy with other work (an outbox
// still sending a burst's replies). When the last turn of some work ends, one
// look comes SETTLE_AFTER_WORK_MS later, so a burst's memory is given back as
// soon as the work has run out rather than seconds later.
import { performance } from "node:perf_hooks";
import v8 from "node:v8";
import vm from "node:vm";
import { turnActivity } from "./turn-slots.ts";

/** the event loop's busy and idle time so far, ms */
type LoopTime = { active: number; idle: number };

/** what the settler needs to know of the turns (TurnActivity) */
export interface TurnWork {
  readonly underWay: number;
  readonly started: number;
  whenIdle(listener: () => void): () => void;
}

export interface SettleOptions {
  /** the gateway is serving (its start's own garbage is settled once it is) */
  ready: () => boolean;
  /** resident memory, bytes */
  rss?: () => number;
  /** the event loop's busy and idle time so far (default: performance.eventLoopUtilization) */
  loop?: () => LoopTime;
  /** the turns of the process; default: every TurnSlots's */
  work?: TurnWork;
  /** a full, memory-reducing collection; none: settling is off */
  collect?: (() => void) | undefined;
  /** told after each collection */
  onSettled?: (e: { beforeBytes: number; afterBytes: number; cpuMs: number }) => void;
}

/** how often the event loop and the memory are looked at */
export const SETTLE_INTERVAL_MS = 1000;
/** quiet looks in a row before the first collection after the start (the warm-up after ready is no turn) */
export const SETTLE_QUIET_TICKS = 3;
/** below this busy share a look counts as quiet (a lone message every few seconds still is) */
export const SETTLE_QUIET_SHARE = 0.05;
/** resident growth since the last collection that makes another worth its CPU */
export const SETTLE_GROWTH_BYTES = 8 * 1024 * 1024;
/** the look after the last running turn ended: long enough for its reply to be sent, short enough to follow a burst */
export const SETTLE_AFTER_WORK_MS = 250;

/**
 * Decides, one look at a time, when to collect. The first collection comes
 * once the gateway is ready and quiet; later ones only after the resident
 * memory grew by SETTLE_GROWTH_BYTES since the last, so a gateway that has
 * nothing to give back is not collected again and again.
 */
export class MemorySettler {
  private quiet = 0;
  private settledBytes: number | undefined;
  /** a turn ran since the last collection: one quiet look is enough then */
  private workedSince = false;
  private lastLook: { loop: LoopTime; started: number };
  private readonly rss: () => number;
  private readonly loop: () => LoopTime;
  private readonly work: TurnWork;
  private readonly opts: SettleOptions;

  constructor(opts: SettleOptions) {
    this.opts = opts;
    this.rss = opts.rss ?? (() => process.memoryUsage.rss());
    this.loop = opts.loop ?? (() => performance.eventLoopUtilization());
    this.work = opts.work ?? turnActivity;
    this.lastLook = { loop: this.loop(), started: this.work.started };
  }

  /** the last running turn ended: the next look measures from here (SETTLE_AFTER_WORK_MS later, or the interval's) */
  workRanOut(): void {
    this.look();
  }

  /** one look (every SETTLE_INTERVAL_MS, and once after the work ran out); true when it collected */
  tick(): boolean {
    const { turnsCame, share } = this.look();
    if (!this.opts.collect || !this.opts.ready()) {
      this.quiet = 0;
      return false;
    }
    const quiet = this.work.underWay === 0 && !turnsCame && share < SETTLE_QUIET_SHARE;
    this.quiet = quiet ? this.quiet + 1 : 0;
    if (this.quiet < (this.workedSince ? 1 : SETTLE_QUIET_TICKS)) return false;
    const before = this.rss();
    if (this.settledBytes !== undefined && before < this.settledBytes + SETTLE_GROWTH_BYTES) return false;
    const cpu0 = process.cpuUsage();
    this.opts.collect();
    const cpu = process.cpuUsage(cpu0);
    this.settledBytes = this.rss();
    this.quiet = 0;
    this.workedSince = false;
    this.opts.onSettled?.({ beforeBytes: before, afterBytes: this.settledBytes, cpuMs: (cpu.user + cpu.system) / 1000 });
    return true;
  }

  /** what happened since the previous look or end of work: turns started, and the event loop's busy share */
  private look(): { turnsCame: boolean; share: number } {
    const since = this.lastLook;
    const now = { loop: this.loop(), started: this.work.started };
    this.lastLook = now;
    const turnsCame = now.started !== since.started;
    if (turnsCame) this.workedSince = true;
    return { turnsCame, share: busyShare(since.loop, now.loop) };
  }
}

/** looks every SETTLE_INTERVAL_MS and SETTLE_AFTER_WORK_MS after the last turn ends (unref'd timers: they never keep the process alive); returns the stop */
export function settleMemoryWhenQuiet(opts: Omit<SettleOptions, "collect"> & { collect?: (() => void) | undefined }): () => void {
  const settler = new MemorySettler({ ...opts, collect: "collect" in opts ? opts.collect : fullCollection() });
  const timer = setInterval(() => settler.tick(), SETTLE_INTERVAL_MS);
  timer.unref();
  // one timer, made at the first end of work and re-armed at each later one: a lone message costs a refresh
  let afterWork: NodeJS.Timeout | undefined;
  const unsubscribe = (opts.work ?? turnActivity).whenIdle(() => {
    settler.workRanOut();
    if (afterWork) afterWork.refresh();
    else (afterWork = setTimeout(() => settler.tick(), SETTLE_AFTER_WORK_MS)).unref();
  });
  return () => {
    unsubscribe();
    clearInterval(timer);
    clearTimeout(afterWork);
  };
}

/** share of the time between two readings the event loop was busy */
function busyShare(from: LoopTime, to: LoopTime): number {
  const active = to.active - from.active;
  const total = active + (to.idle - from.idle);
  return total > 0 ? active / total : 0;
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
