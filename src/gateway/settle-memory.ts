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
//
// The same look empties a young generation left over a quarter full by a
// scavenge, while nothing waits for it: a lone message that found it nearly
// full paid 1.5–5 ms for the scavenge in its own time (one message in ~6 with
// pauses between them, bench/README.md). Back-to-back messages leave no such
// pause and are unchanged.
import { performance } from "node:perf_hooks";
import v8 from "node:v8";
import vm from "node:vm";
import { afterEachIdle, type TurnWork } from "../core/turn-work.ts";
import { turnActivity } from "./turn-slots.ts";

/** the event loop's busy and idle time so far, ms */
type LoopTime = { active: number; idle: number };

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
  /** a scavenge (young generation only); none: no sweeping after work */
  sweepYoung?: (() => void) | undefined;
  /** the young generation now (default: V8's new space) */
  young?: () => YoungGeneration;
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
 * A look judges quiet only over at least this much time since the look
 * before: half the wait after the work, so the look that wait makes always
 * qualifies (the event loop's clock and the timer's need not agree to the
 * millisecond), and the moment between two back-to-back messages never does.
 */
const QUIET_MIN_SPAN_MS = SETTLE_AFTER_WORK_MS / 2;
/**
 * After the work, the young generation is scavenged when it is fuller than
 * this: one lone message allocates about that much of it, and a message that
 * finds it fuller pays for a scavenge in its own time. Predicting from what
 * the last messages allocated missed most of them (a compaction in the
 * background allocates after the turn has ended), so the rule is this simple.
 */
export const YOUNG_SWEEP_FILL = 0.25;

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
  private readonly young: () => YoungGeneration;
  private readonly loop: () => LoopTime;
  private readonly work: TurnWork;
  private readonly opts: SettleOptions;

  constructor(opts: SettleOptions) {
    this.opts = opts;
    this.rss = opts.rss ?? (() => process.memoryUsage.rss());
    this.young = opts.young ?? youngGeneration;
    this.loop = opts.loop ?? (() => performance.eventLoopUtilization());
    this.work = opts.work ?? turnActivity;
    this.lastLook = { loop: this.loop(), started: this.work.started };
  }

  /** the last running turn ended: the next look measures from here (SETTLE_AFTER_WORK_MS later, or the interval's) */
  workRanOut(): void {
    this.look();
  }

  /**
   * The look SETTLE_AFTER_WORK_MS after the last turn ended: a full
   * collection if one is due, else, when the young generation is fuller than
   * YOUNG_SWEEP_FILL, a scavenge now, while nothing waits for it, so that the
   * next message starts with an empty young generation instead of paying for
   * a scavenge itself. Returns what it did.
   */
  afterWork(): "collected" | "swept" | "nothing" {
    if (this.tick()) return "collected";
    if (!this.opts.sweepYoung || this.work.underWay > 0 || !this.opts.ready()) return "nothing";
    const young = this.young();
    if (young.used <= young.room * YOUNG_SWEEP_FILL) return "nothing";
    this.opts.sweepYoung();
    return "swept";
  }

  /** one look (every SETTLE_INTERVAL_MS, and once after the work ran out); true when it collected */
  tick(): boolean {
    const { turnsCame, share, spanMs } = this.look();
    if (!this.opts.collect || !this.opts.ready()) {
      this.quiet = 0;
      return false;
    }
    // each turn's end is a look too: with messages back to back, the interval's look lands a moment after
    // the last one, in the gap before the next message, and that moment alone says nothing about quiet
    const quiet = spanMs >= QUIET_MIN_SPAN_MS && this.work.underWay === 0 && !turnsCame && share < SETTLE_QUIET_SHARE;
    this.quiet = quiet ? this.quiet + 1 : 0;
    if (this.quiet < (this.workedSince ? 1 : SETTLE_QUIET_TICKS)) return false;
    const before = this.rss();
    // the young generation regrows to suit the allocation rate after every collection shrank it: not counted, or
    // a trickle of messages would regrow it, be collected, regrow it… (~100 ms of CPU every few dozen messages)
    if (this.settledBytes !== undefined && before - this.young().bytes < this.settledBytes + SETTLE_GROWTH_BYTES) return false;
    const cpu0 = process.cpuUsage();
    this.opts.collect();
    const cpu = process.cpuUsage(cpu0);
    const after = this.rss();
    this.settledBytes = after - this.young().bytes;
    this.quiet = 0;
    this.workedSince = false;
    this.opts.onSettled?.({ beforeBytes: before, afterBytes: after, cpuMs: (cpu.user + cpu.system) / 1000 });
    return true;
  }

  /** what happened since the previous look or end of work: turns started, and how long the event loop ran and what share of it busy */
  private look(): { turnsCame: boolean; share: number; spanMs: number } {
    const since = this.lastLook;
    const now = { loop: this.loop(), started: this.work.started };
    this.lastLook = now;
    const turnsCame = now.started !== since.started;
    if (turnsCame) this.workedSince = true;
    return { turnsCame, ...loopBetween(since.loop, now.loop) };
  }
}

/**
 * Once the gateway is serving, V8's old generation may grow by this share of
 * what was live at the last full collection before the next one (V8 picks
 * about 1.4–1.6× with the unit's 512 MB limit, and at least 8 MB more in any
 * case). A burst then ends with ~4–8 MB less resident (1.47–1.48× idle
 * instead of 1.53–1.59× at 2,000 messages) for 2–4 more full collections
 * (bench/README.md). Not set while starting, where it would add collections
 * to the time before /ready.
 */
export const OLD_GROWING_PERCENT = 10;

/** looks every SETTLE_INTERVAL_MS and SETTLE_AFTER_WORK_MS after the last turn ends (unref'd timers: they never keep the process alive); returns the stop */
export function settleMemoryWhenQuiet(opts: SettleOptions): () => void {
  // --heap-growing-percent is refused in NODE_OPTIONS; V8 reads it at every full collection, so it applies from here
  v8.setFlagsFromString(`--heap-growing-percent=${OLD_GROWING_PERCENT}`);
  const settler = new MemorySettler({
    ...opts,
    collect: "collect" in opts ? opts.collect : fullCollection(),
    sweepYoung: "sweepYoung" in opts ? opts.sweepYoung : youngCollection(),
  });
  const timer = setInterval(() => settler.tick(), SETTLE_INTERVAL_MS);
  timer.unref();
  const stopAfterWork = afterEachIdle(opts.work ?? turnActivity, SETTLE_AFTER_WORK_MS, () => settler.workRanOut(), () => settler.afterWork());
  return () => {
    stopAfterWork();
    clearInterval(timer);
  };
}

/** the time between two readings of the event loop, and the share of it the loop was busy */
function loopBetween(from: LoopTime, to: LoopTime): { spanMs: number; share: number } {
  const active = to.active - from.active;
  const spanMs = active + (to.idle - from.idle);
  return { spanMs, share: spanMs > 0 ? active / spanMs : 0 };
}

type GcFunction = (o: { type: "major" | "minor"; execution: "sync"; flavor?: "last-resort" }) => void;
/** null: not asked yet */
let gcFunction: GcFunction | undefined | null = null;

/**
 * V8's `gc` function without starting Node with --expose-gc (which would put
 * `gc` on the global object of every process the unit starts): the flag is set
 * just long enough for one new context to receive the function, once per
 * process (the full and the young collection share it). Undefined when this
 * Node refuses, and then nothing is collected.
 */
function exposedGc(): GcFunction | undefined {
  if (gcFunction !== null) return gcFunction;
  try {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as unknown;
    v8.setFlagsFromString("--no-expose-gc");
    gcFunction = typeof gc === "function" ? (gc as GcFunction) : undefined;
  } catch {
    gcFunction = undefined;
  }
  return gcFunction;
}

/** a full collection that collects until nothing more is freed and lets V8 shrink its spaces */
export function fullCollection(): (() => void) | undefined {
  const gc = exposedGc();
  return gc && (() => gc({ type: "major", execution: "sync", flavor: "last-resort" }));
}

/** a young-generation collection (a scavenge) */
export function youngCollection(): (() => void) | undefined {
  const gc = exposedGc();
  return gc && (() => gc({ type: "minor", execution: "sync" }));
}

export interface YoungGeneration {
  /** bytes in use */
  used: number;
  /** bytes it can hold before the next scavenge */
  room: number;
  /** resident bytes it holds */
  bytes: number;
}

/** V8's new space as it is now (~2 µs to ask) */
export function youngGeneration(): YoungGeneration {
  for (const s of v8.getHeapSpaceStatistics()) {
    if (s.space_name !== "new_space") continue;
    return { used: s.space_used_size, room: s.space_used_size + s.space_available_size, bytes: s.physical_space_size };
  }
  return { used: 0, room: 0, bytes: 0 };
}
