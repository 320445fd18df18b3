// When a cron job runs: validation of the three schedule kinds and the
// next-run computation. Pure functions of (schedule, time); no I/O.
import { Cron } from "croner";

export type CronSchedule =
  /** once, at an instant (epoch ms); the job is disabled after it runs */
  | { kind: "at"; at: number }
  /** every `everyMs`, aligned to `anchor` (epoch ms; the creation time) */
  | { kind: "every"; everyMs: number; anchor: number }
  /** a five-field cron expression, read in `tz` (IANA name; UTC when absent) */
  | { kind: "cron"; expr: string; tz?: string };

/** The shortest `every` interval a job may have. */
export const MIN_EVERY_MS = 60_000;

/** A schedule the user (or the model) got wrong; the message says what and how to fix it. */
export class ScheduleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScheduleError";
  }
}

/** True when `tz` is an IANA time zone this runtime knows. */
export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function parseCron(expr: string, tz: string | undefined): Cron {
  const trimmed = expr.trim();
  if (!trimmed.startsWith("@") && trimmed.split(/\s+/).length !== 5) {
    throw new ScheduleError(
      `invalid cron expression "${expr}": it needs five fields (minute hour day-of-month month day-of-week), e.g. "0 9 * * 1-5"`,
    );
  }
  if (tz !== undefined && !isValidTimeZone(tz)) {
    throw new ScheduleError(`unknown time zone "${tz}": use an IANA name such as "Europe/Berlin" or "America/New_York"`);
  }
  try {
    return new Cron(trimmed, { mode: "5-part", ...(tz ? { timezone: tz } : {}) });
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(/^CronPattern:\s*/, "") : String(err);
    throw new ScheduleError(`invalid cron expression "${expr}": ${why}`);
  }
}

/** Throws ScheduleError when the schedule cannot run; `now` is used to refuse instants in the past. */
export function validateSchedule(s: CronSchedule, now: number): void {
  switch (s.kind) {
    case "at":
      if (!Number.isFinite(s.at)) throw new ScheduleError("the run time is not a valid instant");
      if (s.at <= now) throw new ScheduleError("the run time is in the past: give a time in the future");
      return;
    case "every":
      if (!Number.isFinite(s.everyMs) || s.everyMs < MIN_EVERY_MS) {
        throw new ScheduleError(`the interval must be at least ${MIN_EVERY_MS / 1000} seconds`);
      }
      return;
    case "cron": {
      const next = parseCron(s.expr, s.tz).nextRun(new Date(now));
      if (next === null) throw new ScheduleError(`cron expression "${s.expr}" never fires`);
      return;
    }
  }
}

/** The first run of a new job created at `now`. */
export function firstRunAt(s: CronSchedule, now: number): number | null {
  switch (s.kind) {
    case "at":
      return s.at;
    case "every":
      return nextEvery(s, now);
    case "cron":
      return nextCron(s, now);
  }
}

/**
 * The run after the one that fired at `now`. Slots missed while the process
 * was down are skipped: the result is always later than `now`. `null` means
 * the job has no further runs (an `at` job).
 */
export function nextRunAfter(s: CronSchedule, now: number): number | null {
  switch (s.kind) {
    case "at":
      return null;
    case "every":
      return nextEvery(s, now);
    case "cron":
      return nextCron(s, now);
  }
}

function nextEvery(s: { everyMs: number; anchor: number }, now: number): number {
  if (now < s.anchor) return s.anchor + s.everyMs;
  const periods = Math.floor((now - s.anchor) / s.everyMs) + 1;
  return s.anchor + periods * s.everyMs;
}

function nextCron(s: { expr: string; tz?: string }, now: number): number | null {
  const next = parseCron(s.expr, s.tz).nextRun(new Date(now));
  return next ? next.getTime() : null;
}

/** A short human description, for `cron list`. */
export function describeSchedule(s: CronSchedule): string {
  switch (s.kind) {
    case "at":
      return `once at ${new Date(s.at).toISOString()}`;
    case "every":
      return `every ${formatDuration(s.everyMs)}`;
    case "cron":
      return `cron "${s.expr}"${s.tz ? ` (${s.tz})` : " (UTC)"}`;
  }
}

export function formatDuration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, "d"],
    [3_600_000, "h"],
    [60_000, "m"],
    [1000, "s"],
  ];
  const parts: string[] = [];
  let rest = ms;
  for (const [size, label] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${label}`);
    rest -= n * size;
  }
  return parts.length > 0 ? parts.join(" ") : `${ms}ms`;
}
