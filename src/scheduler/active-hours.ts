// Active hours: a daily window (start/end "HH:MM", in a time zone) outside of
// which heartbeats are skipped. A window whose end is before its start runs
// over midnight ("22:00"–"06:00"); equal start and end mean all day.
import { isValidTimeZone } from "./schedule.ts";

export interface ActiveHours {
  /** "HH:MM", inclusive */
  start: string;
  /** "HH:MM", exclusive; "24:00" is the end of the day */
  end: string;
  /** IANA time zone; the process's local zone when absent */
  timezone?: string;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;

/** Minutes since midnight of "HH:MM"; throws with a sentence when malformed. */
export function parseHhMm(value: string, key = "time"): number {
  const m = HHMM.exec(value.trim());
  if (!m) throw new Error(`${key} must be "HH:MM" on a 24-hour clock (e.g. "08:30"), not ${JSON.stringify(value)}`);
  if (value.trim() === "24:00") return 24 * 60;
  return Number(m[1]) * 60 + Number(m[2]);
}

/** Throws with a sentence naming the bad field. */
export function validateActiveHours(h: ActiveHours): void {
  parseHhMm(h.start, "heartbeat.active_hours.start");
  parseHhMm(h.end, "heartbeat.active_hours.end");
  if (h.timezone !== undefined && !isValidTimeZone(h.timezone)) {
    throw new Error(`heartbeat.active_hours.timezone "${h.timezone}" is not an IANA time zone (e.g. "Europe/Berlin")`);
  }
}

/** Minutes since local midnight of the instant `at` in `timezone`. */
export function minutesOfDay(at: number, timezone?: string): number {
  const parts = new Intl.DateTimeFormat("en-GB", {
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    ...(timezone ? { timeZone: timezone } : {}),
  }).formatToParts(new Date(at));
  const hour = Number(parts.find((p) => p.type === "hour")?.value ?? 0);
  const minute = Number(parts.find((p) => p.type === "minute")?.value ?? 0);
  return hour * 60 + minute;
}

/** True when `at` falls inside the window (always true without a window). */
export function isWithinActiveHours(at: number, hours: ActiveHours | undefined): boolean {
  if (!hours) return true;
  const start = parseHhMm(hours.start);
  const end = parseHhMm(hours.end);
  if (start === end) return true;
  const now = minutesOfDay(at, hours.timezone);
  return start < end ? now >= start && now < end : now >= start || now < end;
}
