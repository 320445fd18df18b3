// Cancellation helpers: one signal from several, a promise that loses the race
// to an abort, and a sleep that an abort interrupts even when the injected
// sleep itself ignores signals.
import { abortedError } from "./errors.ts";
import type { SleepFn } from "./types.ts";

/**
 * One signal from several. The same signal given twice counts once (a turn
 * hands its signal as both the request's and the route's): AbortSignal.any
 * is made only for signals that differ, since every one costs a composite
 * the runtime keeps following.
 */
export function combineSignals(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present: AbortSignal[] = [];
  for (const s of signals) if (s !== undefined && !present.includes(s)) present.push(s);
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0];
  return AbortSignal.any(present);
}

/** Settles like `p`, or rejects with an "aborted" ProviderError as soon as the signal aborts. */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) {
    p.catch(() => {});
    return Promise.reject(abortedError());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      p.catch(() => {}); // the abandoned call may still fail later
      reject(abortedError());
    };
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

export function sleepInterruptibly(sleep: SleepFn, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortedError());
  if (ms <= 0) return Promise.resolve();
  return raceAbort(
    sleep(ms, signal).catch((err: unknown): never => {
      if (signal?.aborted) throw abortedError();
      throw err;
    }),
    signal,
  );
}

/** A timer sleep that rejects when the signal aborts. */
export const realSleep: SleepFn = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason as Error);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
