import { describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../src/core/clock.ts";
import { CronService } from "../../src/scheduler/cron-service.ts";
import type { CronJob, CronJobStore, NewCronJob } from "../../src/scheduler/types.ts";
import { CRON_RUNS_KEPT } from "../../src/store/index.ts";
import { addCronJob, removeCronJob, setCronJobEnabled } from "../../src/tools/cron-tool.ts";
import { restart, useTempDb } from "./helpers.ts";

const t = useTempDb();
const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1, 0, 0);
const origin = { channel: "telegram", chatId: "42", sessionKey: "telegram:42" };

const spec = (nextRunAt: number | null, over: Partial<NewCronJob> = {}): NewCronJob => ({
  schedule: { kind: "every", everyMs: MIN, anchor: 0 },
  payload: { kind: "agent", message: "ping" },
  origin: { channel: "telegram", chatId: "1" },
  nextRunAt,
  createdAt: 7,
  ...over,
});

describe("cron job store", () => {
  it("stores the whole job and gives it back after a restart", () => {
    let s = t.open();
    const job = s.cron.add(spec(100, { name: "stand-up", payload: { kind: "shell", command: "df -h" } }));
    expect(job).toEqual({ ...spec(100, { name: "stand-up", payload: { kind: "shell", command: "df -h" } }), id: job.id, enabled: true });
    s = restart(t, s);
    expect(s.cron.get(job.id)).toEqual(job);
    expect(s.cron.list()).toEqual([job]);
    expect(s.cron.get("job999")).toBeUndefined();
  });

  it("never reuses an id, not even after the newest job is removed and the process restarts", () => {
    let s = t.open();
    const a = s.cron.add(spec(1));
    const b = s.cron.add(spec(2));
    expect(s.cron.remove(b.id)).toBe(true);
    expect(s.cron.remove(b.id)).toBe(false);
    s = restart(t, s);
    const c = s.cron.add(spec(3));
    expect(new Set([a.id, b.id, c.id]).size).toBe(3);
    expect(s.cron.list().map((j) => j.id)).toEqual([a.id, c.id]); // in the order added
    expect(a.id).toMatch(/^job\d+$/);
  });

  it("finds due jobs, earliest first, skipping disabled and finished ones", () => {
    const s = t.open();
    const late = s.cron.add(spec(300));
    const early = s.cron.add(spec(100));
    const off = s.cron.add(spec(50));
    const done = s.cron.add(spec(null));
    s.cron.setEnabled(off.id, false, 50);
    expect(s.cron.due(99)).toEqual([]);
    expect(s.cron.due(300).map((j) => j.id)).toEqual([early.id, late.id]);
    expect(s.cron.due(Number.MAX_SAFE_INTEGER).map((j) => j.id)).not.toContain(done.id);
    s.cron.setEnabled(off.id, true, 60);
    expect(s.cron.due(100).map((j) => j.id)).toEqual([off.id, early.id]);
  });

  it("setNextRun claims the slot, and disables a finished job", () => {
    let s = t.open();
    const job = s.cron.add(spec(100));
    s.cron.setNextRun(job.id, 160, true);
    expect(s.cron.due(150)).toEqual([]);
    s.cron.setNextRun(job.id, null, false);
    s = restart(t, s);
    expect(s.cron.get(job.id)).toMatchObject({ nextRunAt: null, enabled: false });
    s.cron.setNextRun("job999", 1, true); // unknown: nothing happens
    expect(s.cron.list()).toHaveLength(1);
  });

  it("markRun records the outcome on the job and keeps the last runs, newest first", () => {
    let s = t.open();
    const job = s.cron.add(spec(100));
    s.cron.markRun(job.id, { at: 100, status: "error", error: "timed out after 5 minutes" });
    expect(s.cron.get(job.id)).toMatchObject({ lastRunAt: 100, lastStatus: "error", lastError: "timed out after 5 minutes", nextRunAt: 100 });
    s.cron.markRun(job.id, { at: 200, status: "ok", output: "pong" });
    s = restart(t, s);
    const after = s.cron.get(job.id)!;
    expect(after).toMatchObject({ lastRunAt: 200, lastStatus: "ok" });
    expect("lastError" in after).toBe(false);
    expect(s.cron.runs(job.id)).toEqual([
      { at: 200, status: "ok", output: "pong" },
      { at: 100, status: "error", error: "timed out after 5 minutes" },
    ]);
    for (let i = 0; i < 30; i++) s.cron.markRun(job.id, { at: 1000 + i, status: "ok" });
    const runs = s.cron.runs(job.id, 100);
    expect(runs).toHaveLength(CRON_RUNS_KEPT);
    expect(runs[0]!.at).toBe(1029);
    expect(runs.at(-1)!.at).toBe(1029 - CRON_RUNS_KEPT + 1);
    expect(s.cron.runs(job.id, 3).map((r) => r.at)).toEqual([1029, 1028, 1027]);
  });

  it("removing a job removes its history; marking a removed job does nothing", () => {
    const s = t.open();
    const job = s.cron.add(spec(100));
    s.cron.markRun(job.id, { at: 1, status: "ok" });
    s.cron.remove(job.id);
    expect(s.cron.runs(job.id)).toEqual([]);
    s.cron.markRun(job.id, { at: 2, status: "ok" });
    expect(s.cron.runs(job.id)).toEqual([]);
    expect(s.cron.get(job.id)).toBeUndefined();
  });

  it("sees the CLI's changes made through another handle on the same file", async () => {
    const daemon = t.open();
    const cli = t.open();
    const job = await addCronJob(cli.cron, T0, { message: "from the CLI", everySeconds: 120, origin });
    expect(daemon.cron.due(T0 + 2 * MIN).map((j) => j.id)).toEqual([job.id]);
    await setCronJobEnabled(cli.cron, job.id, false, T0);
    expect(daemon.cron.due(T0 + 2 * MIN)).toEqual([]);
    await removeCronJob(cli.cron, job.id);
    expect(daemon.cron.list()).toEqual([]);
  });
});

// The scheduler's own tests run against an in-memory store and a stand-in;
// these run the real service against this store across restarts.
describe("CronService on the SQLite store", () => {
  function life(store: CronJobStore, clock: ManualClock) {
    const turns: CronJob[] = [];
    const sent: { channel: string; chatId: string; text: string }[] = [];
    const svc = new CronService({
      store,
      clock,
      deliverTurn: async (job) => {
        turns.push(job);
        return `reply to: ${job.payload.kind === "agent" ? job.payload.message : ""}`;
      },
      send: async (channel, chatId, text) => {
        sent.push({ channel, chatId, text });
      },
    });
    return { svc, turns, sent };
  }

  it("keeps jobs and runs a missed slot once after the process comes back", async () => {
    const clock = new ManualClock(T0);
    let s = t.open();
    const job = await addCronJob(s.cron, T0, { message: "daily digest", cron: "0 7 * * *", tz: "Europe/London", origin });
    const life1 = life(s.cron, clock);
    clock.set(Date.UTC(2026, 0, 1, 7, 0));
    expect(await life1.svc.tick()).toEqual([{ jobId: job.id, status: "ok" }]);
    expect(await life1.svc.tick()).toEqual([]);
    await life1.svc.stop();

    // down for three days: three 07:00 slots missed
    s = restart(t, s);
    clock.set(Date.UTC(2026, 0, 4, 12, 0));
    const life2 = life(s.cron, clock);
    expect(await life2.svc.tick()).toEqual([{ jobId: job.id, status: "ok" }]);
    expect(await life2.svc.tick()).toEqual([]);
    expect(life2.sent).toEqual([{ channel: "telegram", chatId: "42", text: "reply to: daily digest" }]);
    expect(s.cron.get(job.id)).toMatchObject({ nextRunAt: Date.UTC(2026, 0, 5, 7, 0), lastRunAt: Date.UTC(2026, 0, 4, 12, 0), lastStatus: "ok" });
    expect(s.cron.runs(job.id).map((r) => [r.at, r.status, r.output])).toEqual([
      [Date.UTC(2026, 0, 4, 12, 0), "ok", "reply to: daily digest"],
      [Date.UTC(2026, 0, 1, 7, 0), "ok", "reply to: daily digest"],
    ]);
    await life2.svc.stop();
  });

  it("an `at` job that ran before a restart does not run again after it", async () => {
    const clock = new ManualClock(T0);
    let s = t.open();
    await addCronJob(s.cron, T0, { message: "call mum", atSeconds: 90, origin });
    const life1 = life(s.cron, clock);
    clock.advance(90_000);
    expect(await life1.svc.tick()).toHaveLength(1);
    await life1.svc.stop();
    s = restart(t, s);
    clock.advance(24 * 60 * MIN);
    const life2 = life(s.cron, clock);
    expect(await life2.svc.tick()).toEqual([]);
    expect(life2.turns).toEqual([]);
    expect(s.cron.list()).toMatchObject([{ enabled: false, nextRunAt: null, lastStatus: "ok" }]);
  });

  it("the running loop picks up a missed interval slot at start, then keeps the grid", async () => {
    const clock = new ManualClock(T0);
    let s = t.open();
    const job = await addCronJob(s.cron, T0, { message: "tick", everySeconds: 600, origin });
    s = restart(t, s);
    clock.advance(2 * 60 * MIN + 3 * MIN);
    const l = life(s.cron, clock);
    l.svc.start();
    await vi.waitFor(() => expect(l.sent).toHaveLength(1));
    await vi.waitFor(() => expect(s.cron.get(job.id)?.lastRunAt).toBe(clock.now()));
    expect(s.cron.get(job.id)?.nextRunAt).toBe(T0 + 130 * MIN);
    clock.set(T0 + 130 * MIN);
    await vi.waitFor(() => expect(l.turns).toHaveLength(2));
    await l.svc.stop();
  });
});
