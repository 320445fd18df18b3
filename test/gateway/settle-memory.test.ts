import { describe, expect, it } from "vitest";
import { fullCollection, MemorySettler, SETTLE_GROWTH_BYTES, SETTLE_QUIET_TICKS } from "../../src/gateway/settle-memory.ts";

const MB = 1024 * 1024;

/** a settler on scripted readings: `share` and `rss` are read at each look */
function scripted(o: { ready?: () => boolean } = {}) {
  const state = { share: 0, rss: 120 * MB, collections: 0, afterCollect: 100 * MB };
  const settler = new MemorySettler({
    ready: o.ready ?? (() => true),
    busyShare: () => state.share,
    rss: () => state.rss,
    collect: () => {
      state.collections++;
      state.rss = state.afterCollect;
    },
  });
  const looks = (n: number) => Array.from({ length: n }, () => settler.tick());
  return { state, looks };
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

  it("does nothing without a way to collect", () => {
    const settler = new MemorySettler({ ready: () => true, busyShare: () => 0, rss: () => 500 * MB, collect: undefined });
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
