import { describe, expect, it } from "vitest";
import { QUIET_AFTER_READY_MS, warmUpWhenReady } from "../../src/gateway/warm-up.ts";
import { until } from "./pipeline-helpers.ts";

/** a readiness that tests flip, telling the warm-up as the channel set does */
function readiness(initially: boolean) {
  const listeners = new Set<() => void>();
  const r = {
    ready: initially,
    looks: 0,
    set(ready: boolean) {
      r.ready = ready;
      for (const l of listeners) l();
    },
    listening: () => listeners.size,
    options: () => ({
      ready: () => (r.looks++, r.ready),
      changes: (l: () => void) => (listeners.add(l), () => void listeners.delete(l)),
    }),
  };
  return r;
}

/** holds the thread as a module's code does while it runs */
function busyFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

describe("warm-up after ready", () => {
  it("starts the loads only once the gateway is ready, and tells at the moment it became so", async () => {
    const r = readiness(false);
    let loads = 0;
    let told = 0;
    warmUpWhenReady({ ...r.options(), onReady: () => told++, load: () => [() => loads++] });
    r.set(false); // a channel went from connecting to reconnecting: still not ready
    await new Promise((resolve) => setTimeout(resolve, QUIET_AFTER_READY_MS * 2));
    expect(loads).toBe(0);
    expect(told).toBe(0);
    r.set(true);
    expect(told).toBe(1); // told in the same call that made it ready, not at a later look
    expect(r.listening()).toBe(0);
    await until(() => loads === 1, "the warm-up loads");
    r.set(true);
    expect(told).toBe(1);
  });

  it("looks at readiness only when told of a change (no poll)", async () => {
    const r = readiness(false);
    warmUpWhenReady({ ...r.options(), load: () => [] });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(r.looks).toBe(1);
  });

  it("answers what comes at the moment of ready before loading anything", async () => {
    const order: string[] = [];
    warmUpWhenReady({ ...readiness(true).options(), onReady: () => order.push("ready"), load: () => [() => order.push("load")] });
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
    warmUpWhenReady({ ...readiness(true).options(), load: () => [first, () => order.push("second")] });
    await until(() => order.includes("second"), "the second load");
    expect(order).toEqual(["first", "request", "second"]);
  });

  it("loads nothing when cancelled before the gateway got ready (shutdown during start)", async () => {
    const r = readiness(false);
    let loads = 0;
    const cancel = warmUpWhenReady({ ...r.options(), load: () => [() => loads++] });
    cancel();
    expect(r.listening()).toBe(0);
    r.set(true);
    await new Promise((resolve) => setTimeout(resolve, QUIET_AFTER_READY_MS * 2));
    expect(loads).toBe(0);
  });

  it("loads nothing when cancelled between ready and the loads (shutdown just after ready)", async () => {
    let loads = 0;
    const cancel = warmUpWhenReady({ ...readiness(true).options(), load: () => [() => loads++] });
    cancel();
    await new Promise((r) => setTimeout(r, QUIET_AFTER_READY_MS * 2));
    expect(loads).toBe(0);
  });

  it("a failing load does not reject anywhere, and the next one still runs", async () => {
    let next = false;
    warmUpWhenReady({
      ...readiness(true).options(),
      load: () => [() => Promise.reject(new Error("no sdk")), () => { throw new Error("no registry"); }, () => (next = true)],
    });
    await until(() => next, "the load after the failed ones");
  });
});
