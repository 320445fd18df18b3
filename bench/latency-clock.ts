// A clock in milliseconds that every process on the machine shares: Linux's
// CLOCK_MONOTONIC (process.hrtime), which counts from boot for all processes.
// performance.now() counts from each process's own start, and Date.now() is
// slewed by NTP and has whole milliseconds only.
export function sharedClock(): () => number {
  return () => Number(process.hrtime.bigint()) / 1e6;
}
