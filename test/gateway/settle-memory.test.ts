import { describe, expect, it } from "vitest";
import { fullCollection, MemorySettler, SETTLE_AFTER_WORK_MS, SETTLE_GROWTH_BYTES, SETTLE_INTERVAL_MS, SETTLE_QUIET_TICKS, settleMemoryWhenQuiet, YOUNG_SWEEP_FILL } from "../../src/gateway/settle-memory.ts";
import { TurnActivity, TurnSlots } from "../../src/gateway/turn-slots.ts";

const MB = 1024 * 1024;

/**
 * A settler on scripted readings: `share` is the event loop's busy share
 * until the next look, `rss` is read at each look, and `work` stands for the
 * process's turns (TurnActivity) as the pipeline reports them.
 */
function scripted(o: { ready?: () => boolean } = {}) {
  // stepMs: the time each reading of the loop moves on by (a look's worth unless a test says otherwise)
  const state = { share: 0, stepMs: 1000, rss: 120 * MB, collections: 0, afterCollect: 100 * MB, youngUsed: 0, youngRoom: 8 * MB, youngBytes: 0, sweeps: 0 };
  const work = new TurnActivity();
  const loop = { active: 0, idle: 0 };
  const settler = new MemorySettler({
    ready: o.ready ?? (() => true),
    // each reading advances the clock by one look's worth at the scripted share
    loop: () => {
      loop.active += state.share * state.stepMs;
      loop.idle += (1 - state.share) * state.stepMs;
      return { ...loop };
    },
    rss: () => state.rss,
    young: () => ({ used: state.youngUsed, room: state.youngRoom, bytes: state.youngBytes }),
    work,
    collect: () => {
      state.collections++;
      state.rss = state.afterCollect;
    },
    sweepYoung: () => {
      state.sweeps++;
      state.youngUsed = 0;
    },
  });
  const looks = (n: number) => Array.from({ length: n }, () => settler.tick());
  return { state, looks, work, settler };
}

/** a settler that collected once and has grown by far more than the growth bound since: the next quiet look collects */
function grownSinceCollecting(): ReturnType<typeof scripted> {
  const settled = scripted();
  settled.looks(SETTLE_QUIET_TICKS);
  expect(settled.state.collections).toBe(1);
  settled.state.rss = 200 * MB;
  return settled;
}

describe("giving memory back when the gateway is quiet", () => {
  it("collects once the gateway is ready and its event loop was quiet for a few looks in a row", () => {
    let ready = false;
    const { state, looks } = scripted({ ready: () => ready });
    looks(SETTLE_QUIET_TICKS + 2);
    expect(state.collections).toBe(0); // still starting
    ready = true;
    looks(SETTLE_QUIET_TICKS - 1);
    expect(state.collections).toBe(0);
    expect(looks(1)).toEqual([true]);
    expect(state.collections).toBe(1);
  });

  it("does not collect while messages keep the loop busy, and starts counting again after each busy look", () => {
    const { state, looks } = scripted();
    for (let i = 0; i < 10; i++) {
      state.share = 0.6; // a burst
      looks(1);
      state.share = 0.01; // a pause between two batches, shorter than the quiet spell
      looks(SETTLE_QUIET_TICKS - 1);
    }
    expect(state.collections).toBe(0);
    looks(1);
    expect(state.collections).toBe(1);
  });

  it("collects again only after the resident memory grew by the set amount since the last collection", () => {
    const { state, looks } = scripted();
    looks(SETTLE_QUIET_TICKS);
    expect(state.collections).toBe(1);
    // a quiet gateway with nothing new to give back is left alone
    state.rss = 100 * MB + SETTLE_GROWTH_BYTES - 1;
    looks(SETTLE_QUIET_TICKS * 5);
    expect(state.collections).toBe(1);
    // a burst grew it: the next quiet spell collects
    state.share = 0.9;
    state.rss = 160 * MB;
    looks(3);
    state.share = 0;
    looks(SETTLE_QUIET_TICKS);
    expect(state.collections).toBe(2);
  });

  it("never collects while a turn runs, though a turn waiting for its model leaves the event loop idle", () => {
    const { state, work, looks } = scripted();
    work.begin(); // a slow model: the loop sits idle for many looks
    looks(SETTLE_QUIET_TICKS * 4);
    expect(state.collections).toBe(0);
    work.end();
    looks(1);
    expect(state.collections).toBe(1);
  });

  it("does not collect while lone messages keep coming, each turn over before the next look", () => {
    const { state, work, looks } = grownSinceCollecting();
    for (let i = 0; i < 20; i++) {
      work.begin();
      work.end();
      looks(1);
    }
    expect(state.collections).toBe(1);
    // a whole look without a message: the work has run out
    looks(1);
    expect(state.collections).toBe(2);
  });

  it("does not collect in the moment between two back-to-back messages, however idle that moment is", () => {
    const { state, work, looks, settler } = grownSinceCollecting();
    for (let i = 0; i < 50; i++) {
      work.begin();
      work.end();
      // each turn's end is a look (the pipeline's whenIdle), then the interval's look lands 2 ms later,
      // before the next message arrives: nothing ran in between
      state.stepMs = 2;
      settler.workRanOut();
      looks(1);
    }
    expect(state.collections).toBe(1);
    // the messages stop: the look after the work finds it quiet
    state.stepMs = SETTLE_AFTER_WORK_MS;
    expect(settler.afterWork()).toBe("collected");
  });

  it("after a burst, one quiet look measured from the end of the last turn is enough", () => {
    const { state, work, looks, settler } = scripted();
    looks(SETTLE_QUIET_TICKS);
    state.rss = 160 * MB;
    state.share = 0.9;
    for (let i = 0; i < 8; i++) work.begin();
    looks(2);
    for (let i = 0; i < 8; i++) work.end();
    settler.workRanOut();
    state.share = 0.01;
    expect(looks(1)).toEqual([true]);
    expect(state.collections).toBe(2);
  });

  it("after a burst, waits while the event loop is still busy (replies being sent) even with no turn running", () => {
    const { state, work, looks, settler } = scripted();
    looks(SETTLE_QUIET_TICKS);
    state.rss = 160 * MB;
    work.begin();
    work.end();
    settler.workRanOut();
    state.share = 0.4;
    looks(3);
    expect(state.collections).toBe(1);
    state.share = 0;
    looks(1);
    expect(state.collections).toBe(2);
  });

  it("after the work, scavenges a young generation over YOUNG_SWEEP_FILL full, and never while a turn runs", () => {
    const { state, work, looks, settler } = scripted();
    looks(SETTLE_QUIET_TICKS);
    expect(state.collections).toBe(1);
    const message = () => {
      work.begin();
      state.youngUsed += MB; // what one message allocates, of the young generation's 8 MB
      work.end();
      settler.workRanOut();
    };
    message(); // an eighth full: the next message fits
    expect(YOUNG_SWEEP_FILL).toBeGreaterThan(1 / 8);
    expect(settler.afterWork()).toBe("nothing");
    message();
    message(); // 3 of 8 MB
    work.begin();
    expect(settler.afterWork()).toBe("nothing"); // a turn came meanwhile: it would wait for the scavenge
    work.end();
    settler.workRanOut();
    expect(settler.afterWork()).toBe("swept");
    expect([state.sweeps, state.youngUsed, state.collections]).toEqual([1, 0, 1]);
    // a full collection due takes the place of the sweep
    message();
    message();
    message();
    state.rss = 200 * MB;
    expect(settler.afterWork()).toBe("collected");
    expect(state.sweeps).toBe(1);
  });

  it("does not count the young generation growing back as growth: it regrows after every collection", () => {
    const { state, work, looks, settler } = scripted();
    looks(SETTLE_QUIET_TICKS);
    expect(state.collections).toBe(1);
    // a trickle of messages: V8 sizes the young generation back up by 14 MB, nothing else grew
    state.youngBytes = 14 * MB;
    state.rss = 100 * MB + 14 * MB;
    for (let i = 0; i < 5; i++) {
      work.begin();
      work.end();
      settler.workRanOut();
      settler.afterWork();
      looks(2);
    }
    expect(state.collections).toBe(1);
    // the old generation and malloc grew past the step as well: due
    state.rss += SETTLE_GROWTH_BYTES;
    looks(1);
    expect(state.collections).toBe(2);
  });

  it("does nothing without a way to collect", () => {
    const settler = new MemorySettler({ ready: () => true, loop: () => ({ active: 0, idle: 0 }), rss: () => 500 * MB, young: () => ({ used: MB, room: MB, bytes: 0 }), collect: undefined });
    expect(Array.from({ length: 10 }, () => settler.tick())).not.toContain(true);
  });

  it("the collection frees unreachable objects and leaves no `gc` on the global object", async () => {
    const collect = fullCollection();
    expect(collect).toBeTypeOf("function");
    let target: object | undefined = { big: new Array(1000).fill("x") };
    const ref = new WeakRef(target);
    target = undefined;
    // a WeakRef's target is kept until the end of the current job
    await new Promise((r) => setImmediate(r));
    collect!();
    expect(ref.deref()).toBeUndefined();
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });
});

describe("the turns the settler watches", () => {
  it("TurnSlots report every turn's start and end, and idle only once nothing follows", async () => {
    const activity = new TurnActivity();
    const idle: number[] = [];
    activity.whenIdle(() => idle.push(activity.started));
    const gates = new Map<string, () => void>();
    const slots = new TurnSlots(1, (key) => new Promise<void>((r) => gates.set(key, r)), activity);
    slots.schedule("a");
    slots.schedule("b"); // waits for the one slot
    expect([activity.underWay, activity.started]).toEqual([1, 1]);
    gates.get("a")!();
    await until(() => activity.started === 2);
    expect(activity.underWay).toBe(1);
    expect(idle).toEqual([]); // "b" began as "a" ended: no idle moment between them
    gates.get("b")!();
    await until(() => idle.length === 1);
    expect([activity.underWay, idle]).toEqual([0, [2]]);
  });

  it("a turn that throws before it even starts still ends its count, so settling is not held off for good", async () => {
    const activity = new TurnActivity();
    const slots = new TurnSlots(2, () => {
      throw new Error("broken before any await");
    }, activity);
    slots.schedule("a");
    await until(() => activity.underWay === 0);
    expect(activity.started).toBe(1);
  });

  it("a settler started on the process's turns looks SETTLE_AFTER_WORK_MS after the last one ends", async () => {
    const activity = new TurnActivity();
    const collectedAt: number[] = [];
    const stop = settleMemoryWhenQuiet({
      ready: () => true,
      rss: () => 500 * MB,
      young: () => ({ used: 0, room: MB, bytes: 0 }),
      // an event loop that is idle between the looks: a loaded machine (the suite's other files) made the
      // real one look busy now and then, and the look after the work then left the collection to the interval's
      loop: () => ({ active: 0, idle: performance.now() }),
      work: activity,
      collect: () => collectedAt.push(performance.now()),
    });
    try {
      activity.begin();
      const ended = performance.now();
      activity.end();
      await until(() => collectedAt.length === 1);
      // the look after the work, not the interval's first one (SETTLE_INTERVAL_MS after the start)
      expect(collectedAt[0]! - ended).toBeGreaterThanOrEqual(SETTLE_AFTER_WORK_MS - 1);
      expect(collectedAt[0]! - ended).toBeLessThan(SETTLE_INTERVAL_MS);
    } finally {
      stop();
    }
  });
});

/** waits for `cond`, checking after each turn of the event loop, at most `ms` */
async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}
