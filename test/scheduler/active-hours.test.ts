import { describe, expect, it } from "vitest";
import { isWithinActiveHours, minutesOfDay, parseHhMm, validateActiveHours } from "../../src/scheduler/active-hours.ts";

const at = (iso: string) => Date.parse(iso);

describe("active hours", () => {
  it("reads HH:MM", () => {
    expect(parseHhMm("08:30")).toBe(510);
    expect(parseHhMm("24:00")).toBe(1440);
    expect(() => parseHhMm("8:30", "heartbeat.active_hours.start")).toThrow(/heartbeat\.active_hours\.start must be "HH:MM"/);
    expect(() => parseHhMm("25:00")).toThrow();
  });

  it("uses the window's time zone", () => {
    expect(minutesOfDay(at("2026-01-01T07:15:00Z"), "Europe/Berlin")).toBe(8 * 60 + 15);
    expect(minutesOfDay(at("2026-07-01T07:15:00Z"), "Europe/Berlin")).toBe(9 * 60 + 15);
  });

  it("includes the start and excludes the end", () => {
    const h = { start: "08:00", end: "22:00", timezone: "UTC" };
    expect(isWithinActiveHours(at("2026-01-01T07:59:00Z"), h)).toBe(false);
    expect(isWithinActiveHours(at("2026-01-01T08:00:00Z"), h)).toBe(true);
    expect(isWithinActiveHours(at("2026-01-01T21:59:00Z"), h)).toBe(true);
    expect(isWithinActiveHours(at("2026-01-01T22:00:00Z"), h)).toBe(false);
  });

  it("runs over midnight when the end comes first", () => {
    const h = { start: "22:00", end: "06:00", timezone: "Asia/Tokyo" };
    expect(isWithinActiveHours(at("2026-01-01T14:00:00Z"), h)).toBe(true); // 23:00 Tokyo
    expect(isWithinActiveHours(at("2026-01-01T20:00:00Z"), h)).toBe(true); // 05:00 Tokyo
    expect(isWithinActiveHours(at("2026-01-01T03:00:00Z"), h)).toBe(false); // 12:00 Tokyo
  });

  it("is always open without a window or with equal ends", () => {
    expect(isWithinActiveHours(0, undefined)).toBe(true);
    expect(isWithinActiveHours(0, { start: "09:00", end: "09:00" })).toBe(true);
  });

  it("names a bad time zone", () => {
    expect(() => validateActiveHours({ start: "08:00", end: "20:00", timezone: "Nowhere/City" })).toThrow(/timezone "Nowhere\/City"/);
  });
});
