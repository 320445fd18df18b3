import { describe, expect, it } from "vitest";
import {
  describeSchedule,
  firstRunAt,
  MIN_EVERY_MS,
  nextRunAfter,
  ScheduleError,
  validateSchedule,
  type CronSchedule,
} from "../../src/scheduler/schedule.ts";

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const MIN = 60_000;

describe("at schedules", () => {
  it("run once at the instant and then never again", () => {
    const s: CronSchedule = { kind: "at", at: T0 + 90_000 };
    expect(firstRunAt(s, T0)).toBe(T0 + 90_000);
    expect(nextRunAfter(s, T0 + 90_000)).toBeNull();
  });

  it("refuse instants in the past", () => {
    expect(() => validateSchedule({ kind: "at", at: T0 - 1 }, T0)).toThrow(/in the past/);
  });
});

describe("every schedules", () => {
  it("stay aligned to their anchor", () => {
    const s: CronSchedule = { kind: "every", everyMs: 5 * MIN, anchor: T0 };
    expect(firstRunAt(s, T0)).toBe(T0 + 5 * MIN);
    expect(nextRunAfter(s, T0 + 5 * MIN)).toBe(T0 + 10 * MIN);
    // fired a little late: the next slot is still on the grid
    expect(nextRunAfter(s, T0 + 5 * MIN + 1234)).toBe(T0 + 10 * MIN);
  });

  it("skip every slot missed while down (the next run is after now)", () => {
    const s: CronSchedule = { kind: "every", everyMs: 5 * MIN, anchor: T0 };
    expect(nextRunAfter(s, T0 + 62 * MIN)).toBe(T0 + 65 * MIN);
  });

  it(`refuse intervals under ${MIN_EVERY_MS / 1000} s`, () => {
    expect(() => validateSchedule({ kind: "every", everyMs: 10_000, anchor: T0 }, T0)).toThrow(ScheduleError);
    expect(() => validateSchedule({ kind: "every", everyMs: MIN_EVERY_MS, anchor: T0 }, T0)).not.toThrow();
  });
});

describe("cron schedules", () => {
  it("are read in their time zone, daylight saving included", () => {
    const s: CronSchedule = { kind: "cron", expr: "0 9 * * *", tz: "Europe/Berlin" };
    // 09:00 in Berlin is 08:00 UTC in winter ...
    expect(new Date(firstRunAt(s, T0)!).toISOString()).toBe("2026-01-01T08:00:00.000Z");
    // ... and 07:00 UTC in summer
    const july = Date.UTC(2026, 6, 1, 12, 0, 0);
    expect(new Date(nextRunAfter(s, july)!).toISOString()).toBe("2026-07-02T07:00:00.000Z");
  });

  it("use UTC without a time zone", () => {
    const s: CronSchedule = { kind: "cron", expr: "30 6 * * 1-5" };
    // 2026-01-01 is a Thursday
    expect(new Date(firstRunAt(s, T0)!).toISOString()).toBe("2026-01-01T06:30:00.000Z");
    // Friday 06:30 fired; next is Monday
    expect(new Date(nextRunAfter(s, Date.UTC(2026, 0, 2, 6, 30))!).toISOString()).toBe("2026-01-05T06:30:00.000Z");
  });

  it("skip missed slots: the next run is strictly after now", () => {
    const s: CronSchedule = { kind: "cron", expr: "*/15 * * * *", tz: "America/New_York" };
    expect(nextRunAfter(s, T0 + 47 * MIN)).toBe(T0 + 60 * MIN);
    expect(nextRunAfter(s, T0 + 45 * MIN)).toBe(T0 + 60 * MIN);
  });

  it("explain a bad expression", () => {
    expect(() => validateSchedule({ kind: "cron", expr: "61 * * * *" }, T0)).toThrow(/invalid cron expression "61 \* \* \* \*".*minute/);
    expect(() => validateSchedule({ kind: "cron", expr: "* * *" }, T0)).toThrow(/five fields/);
    expect(() => validateSchedule({ kind: "cron", expr: "* * * * * *" }, T0)).toThrow(/five fields/);
    expect(() => validateSchedule({ kind: "cron", expr: "0 9 * * *", tz: "Mars/Olympus" }, T0)).toThrow(/unknown time zone "Mars\/Olympus"/);
  });

  it("accept nicknames", () => {
    expect(firstRunAt({ kind: "cron", expr: "@daily" }, T0 + 1)).toBe(T0 + 24 * 60 * MIN);
  });
});

it("describes schedules for listings", () => {
  expect(describeSchedule({ kind: "every", everyMs: 90 * MIN, anchor: T0 })).toBe("every 1h 30m");
  expect(describeSchedule({ kind: "cron", expr: "0 9 * * *", tz: "Asia/Tokyo" })).toBe('cron "0 9 * * *" (Asia/Tokyo)');
});
