// The one reconnect/retry wait of the project: exponential from `initialMs`
// up to `maxMs`, ±20 % jitter so many gateways do not come back at the same
// instant, and a sleep that an abort signal cuts short. Every channel
// adapter and the channel supervisor use it.
import type { Clock } from "./clock.ts";

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** 0..1; default Math.random. () => 0.5 gives waits without jitter (tests) */
  random?: () => number;
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
    return this.peek();
  }

  /** the wait for the current failure count, without counting one more */
  peek(): number {
    const base = Math.min(this.opts.maxMs, this.opts.initialMs * 2 ** Math.max(0, this.failures - 1));
    return jitter(base, this.opts.random);
  }

  reset(): void {
    this.failures = 0;
  }
}

/** ms ±20 % */
export function jitter(ms: number, random: () => number = Math.random): number {
  return Math.round(ms * (0.8 + 0.4 * random()));
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

/** "250 ms", "4 s": for status lines and logs */
export function describeWait(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}
