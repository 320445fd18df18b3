import { describe, expect, it } from "vitest";
import { warmUpWhenReady } from "../../src/gateway/warm-up.ts";
import { until } from "./pipeline-helpers.ts";

describe("warm-up after ready", () => {
  it("starts the loads only once the gateway is ready, and tells when that was", async () => {
    let ready = false;
    let loads = 0;
    let told = 0;
    warmUpWhenReady({ ready: () => ready, onReady: () => told++, load: () => [Promise.resolve(loads++)] });
    await new Promise((r) => setTimeout(r, 60)); // several polls while not ready
    expect(loads).toBe(0);
    ready = true;
    await until(() => loads === 1, "the warm-up loads");
    expect(told).toBe(1);
  });

  it("loads nothing when cancelled before the gateway got ready (shutdown during start)", async () => {
    let polls = 0;
    let loads = 0;
    const cancel = warmUpWhenReady({ ready: () => (polls++, false), load: () => [Promise.resolve(loads++)] });
    await until(() => polls >= 2, "a poll");
    cancel();
    const seen = polls;
    await new Promise((r) => setTimeout(r, 60));
    expect(polls).toBe(seen);
    expect(loads).toBe(0);
  });

  it("a failing load does not reject anywhere", async () => {
    let settled = false;
    warmUpWhenReady({ ready: () => true, load: () => [Promise.reject(new Error("no sdk")).finally(() => (settled = true))] });
    await until(() => settled, "the failed load");
  });
});
