// Restart delays for a server that failed: 1 s, 2 s, 4 s ... capped at 5 min,
// with ±20 % jitter so servers that failed together do not retry together.
// (Local until a shared src/core backoff helper exists.)
export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_MAX_MS = 5 * 60_000;

export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const raw = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt));
  return Math.round(raw * (0.8 + 0.4 * random()));
}
