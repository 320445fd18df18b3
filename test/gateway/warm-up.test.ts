import { describe, expect, it } from "vitest";
import { QUIET_AFTER_READY_MS, warmUpWhenReady } from "../../src/gateway/warm-up.ts";
import { until } from "./pipeline-helpers.ts";

/** holds the thread as a module's code does while it runs */
function busyFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

describe("warm-up after ready", () => {
  it("starts the loads only once the gateway is ready, and tells when that was", async () => {
    let ready = false;
    let loads = 0;
    let told = 0;
    warmUpWhenReady({ ready: () => ready, onReady: () => told++, load: () => [() => loads++] });
    await new Promise((r) => setTimeout(r, 60)); // several polls while not ready
    expect(loads).toBe(0);
    ready = true;
    await until(() => loads === 1, "the warm-up loads");
    expect(told).toBe(1);
  });

  it("answers what comes at the moment of ready before loading anything", async () => {
    const order: string[] = [];
    warmUpWhenReady({ ready: () => true, onReady: () => order.push("ready"), load: () => [() => order.push("load")] });
    // a /ready probe or a message that arrives just after: its callback is queued behind the ready check
    setTimeout(() => order.push("request"), QUIET_AFTER_READY_MS / 2);
    await until(() => order.includes("load"), "the warm-up loads");
    expect(order).toEqual(["ready", "request", "load"]);
  });

  it("runs the loads one at a time, serving what arrived while one ran before the next", async () => {
    const order: string[] = [];
    const first = () => {
      order.push("first");
      setImmediate(() => order.push("request")); // arrived while the first module ran
      busyFor(15);
    };
    warmUpWhenReady({ ready: () => true, load: () => [first, () => order.push("second")] });
    await until(() => order.includes("second"), "the second load");
    expect(order).toEqual(["first", "request", "second"]);
  });

  it("loads nothing when cancelled before the gateway got ready (shutdown during start)", async () => {
    let polls = 0;
    let loads = 0;
    const cancel = warmUpWhenReady({ ready: () => (polls++, false), load: () => [() => loads++] });
    await until(() => polls >= 2, "a poll");
    cancel();
    const seen = polls;
    await new Promise((r) => setTimeout(r, 60));
    expect(polls).toBe(seen);
    expect(loads).toBe(0);
  });

  it("loads nothing when cancelled between ready and the loads (shutdown just after ready)", async () => {
    let loads = 0;
    const cancel = warmUpWhenReady({ ready: () => true, load: () => [() => loads++] });
    cancel();
    await new Promise((r) => setTimeout(r, QUIET_AFTER_READY_MS * 2));
    expect(loads).toBe(0);
  });

  it("a failing load does not reject anywhere, and the next one still runs", async () => {
    let next = false;
    warmUpWhenReady({
      ready: () => true,
      load: () => [() => Promise.reject(new Error("no sdk")), () => { throw new Error("no registry"); }, () => (next = true)],
    });
    await until(() => next, "the load after the failed ones");
  });
});
