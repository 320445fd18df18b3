// Reconnect waits: exponential from `initialMs` up to `maxMs`, ±20 % jitter so
// many gateways do not come back at the same instant, and sleeps that stop()
// cuts short.
import type { Clock } from "../../src/core/clock.ts";

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  random: () => number;
}

export class Backoff {
  private readonly opts: BackoffOptions;
  /** failures in a row */
  failures = 0;

  constructor(opts: BackoffOptions) {
    this.opts = opts;
  }

  /** the wait before the next attempt (counts one more failure) */
  next(): number {
    this.failures++;
    const base = Math.min(this.opts.maxMs, this.opts.initialMs * 2 ** (this.failures - 1));
    return Math.round(base * (0.8 + 0.4 * this.opts.random()));
  }

  reset(): void {
    this.failures = 0;
  }
}

/** the clock's sleep, resolved early (never rejected) when `signal` aborts */
export function sleepUnlessAborted(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    clock.sleep(ms, signal).then(done, done);
  });
}

export function describeWait(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}
