// The interval the gateway suite prints beside a p99: the order statistics
// that hold the true percentile ~95 % of the time.
import { describe, expect, it } from "vitest";
import { percentile, percentileInterval } from "../../bench/stats.ts";

/** a seeded generator (mulberry32): the same draws on every run */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("percentileInterval", () => {
  it("runs from the 18th to the 4th largest of 1,000 samples for a p99, around the p99 itself", () => {
    const sorted = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(percentileInterval(sorted, 99)).toEqual({ low: 983, high: 997 });
    expect(percentile(sorted, 99)).toBe(990);
  });

  it("holds the true p99 of a long-tailed distribution in about 95 of 100 runs", () => {
    const next = random(12);
    // exponential latencies with a 1 ms mean: the true p99 is ln(100) ms
    const trueP99 = Math.log(100);
    let held = 0;
    const runs = 400;
    for (let r = 0; r < runs; r++) {
      const sorted = Array.from({ length: 1000 }, () => -Math.log(1 - next())).sort((a, b) => a - b);
      const { low, high } = percentileInterval(sorted, 99);
      if (low <= trueP99 && trueP99 <= high) held++;
    }
    expect(held / runs).toBeGreaterThan(0.91);
    expect(held / runs).toBeLessThan(0.99);
  });

  it("gives nothing for no samples, and stays inside the sample for few", () => {
    expect(percentileInterval([], 99)).toEqual({ low: NaN, high: NaN });
    expect(percentileInterval([1, 2, 3], 99)).toEqual({ low: 2, high: 3 });
  });
});
