// Small helpers shared by the benchmarks: timing and percentiles.

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

/**
 * The values between which the true p-th percentile of what was sampled lies
 * with ~95 % confidence, from the sample alone: the count of samples below
 * the true percentile is binomial(n, p/100), so the interval runs between the
 * order statistics ~1.96 standard deviations either side of rank n·p/100 (the
 * normal approximation; fine from a few hundred samples). For a p99 of 1,000
 * samples that is the 18th to the 4th slowest: a run's p99 moves that much by
 * the luck of which messages were slow, before anything about the machine.
 */
export function percentileInterval(sorted: number[], p: number): { low: number; high: number } {
  const n = sorted.length;
  if (n === 0) return { low: NaN, high: NaN };
  const q = p / 100;
  const spread = 1.96 * Math.sqrt(n * q * (1 - q));
  const at = (rank: number) => sorted[Math.min(n - 1, Math.max(0, rank - 1))]!;
  return { low: at(Math.floor(n * q - spread)), high: at(Math.ceil(n * q + spread)) };
}

/** an interval as "4.4–5.8" */
export function intervalText(i: { low: number; high: number }): string {
  return `${i.low.toFixed(1)}–${i.high.toFixed(1)}`;
}

export interface Summary {
  n: number;
  median: number;
  p99: number;
  min: number;
  max: number;
}

export function summarize(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, median: percentile(s, 50), p99: percentile(s, 99), min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN };
}

export function fmtMs(ms: number): string {
  if (ms < 1) return `${(ms * 1000).toFixed(1)} µs`;
  return `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}

export function report(label: string, samples: number[]): void {
  const s = summarize(samples);
  console.log(`${label.padEnd(52)} median ${fmtMs(s.median).padStart(10)}   p99 ${fmtMs(s.p99).padStart(10)}   (n=${s.n})`);
}
