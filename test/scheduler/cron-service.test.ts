import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../src/core/clock.ts";
import { CronService, type CronServiceOptions } from "../../src/scheduler/cron-service.ts";
import type { CronJob, CronJobStore } from "../../src/scheduler/types.ts";
import { addCronJob } from "../../src/tools/cron-tool.ts";
import { MemoryCronStore } from "./memory-store.ts";
import { openStore } from "../../src/store/index.ts";

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1, 0, 0);
const origin = { channel: "telegram", chatId: "42", sessionKey: "telegram:42" };

interface Rig {
  svc: CronService;
  clock: ManualClock;
  store: CronJobStore;
  turns: CronJob[];
  sent: { channel: string; chatId: string; text: string }[];
}

function rig(store: CronJobStore = new MemoryCronStore(), clock = new ManualClock(T0), over: Partial<CronServiceOptions> = {}): Rig {
  const turns: CronJob[] = [];
  const sent: Rig["sent"] = [];
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
    ...over,
  });
  return { svc, clock, store, turns, sent };
}

describe("agent jobs", () => {
  it("fire exactly once per slot and the reply goes to the chat that created the job", async () => {
    const r = rig();
    const job = await addCronJob(r.store, T0, { message: "stand-up time", everySeconds: 300, origin });
    expect(job.nextRunAt).toBe(T0 + 5 * MIN);

    expect(await r.svc.tick()).toEqual([]);
    r.clock.advance(5 * MIN);
    expect(await r.svc.tick()).toEqual([{ jobId: job.id, status: "ok" }]);
    expect(await r.svc.tick()).toEqual([]); // same slot again: nothing
    r.clock.advance(2 * MIN);
    expect(await r.svc.tick()).toEqual([]);
    r.clock.advance(3 * MIN);
    expect(await r.svc.tick()).toHaveLength(1);

    expect(r.turns.map((t) => t.id)).toEqual([job.id, job.id]);
    expect(r.turns[0]?.origin).toEqual(origin);
    expect(r.sent).toEqual([
      { channel: "telegram", chatId: "42", text: "reply to: stand-up time" },
      { channel: "telegram", chatId: "42", text: "reply to: stand-up time" },
    ]);
    const stored = await r.store.get(job.id);
    expect(stored).toMatchObject({ nextRunAt: T0 + 15 * MIN, lastRunAt: T0 + 10 * MIN, lastStatus: "ok", enabled: true });
  });

  it("`at` jobs run once and are then disabled", async () => {
    const r = rig();
    const job = await addCronJob(r.store, T0, { message: "call mum", atSeconds: 90, origin });
    r.clock.advance(90_000);
    expect(await r.svc.tick()).toHaveLength(1);
    r.clock.advance(24 * 60 * MIN);
    expect(await r.svc.tick()).toEqual([]);
    expect(await r.store.get(job.id)).toMatchObject({ enabled: false, nextRunAt: null, lastStatus: "ok" });
    expect(r.turns).toHaveLength(1);
  });

  it("cron jobs follow their expression in their time zone", async () => {
    const r = rig();
    const job = await addCronJob(r.store, T0, { message: "morning", cron: "0 9 * * *", tz: "Europe/Berlin", origin });
    expect(new Date(job.nextRunAt!).toISOString()).toBe("2026-01-01T08:00:00.000Z");
    r.clock.set(Date.UTC(2026, 0, 1, 8, 0));
    expect(await r.svc.tick()).toHaveLength(1);
    expect(new Date((await r.store.get(job.id))!.nextRunAt!).toISOString()).toBe("2026-01-02T08:00:00.000Z");
  });

  it("record a failing turn without sending anything", async () => {
    const r = rig(undefined, undefined, {
      deliverTurn: async () => {
        throw new Error("all candidates failed: rate_limit");
      },
    });
    const job = await addCronJob(r.store, T0, { message: "x", everySeconds: 60, origin });
    r.clock.advance(MIN);
    expect(await r.svc.tick()).toEqual([{ jobId: job.id, status: "error", error: "all candidates failed: rate_limit" }]);
    expect(await r.store.get(job.id)).toMatchObject({ lastStatus: "error", lastError: "all candidates failed: rate_limit", enabled: true });
    expect(r.sent).toEqual([]);
  });

  it("never overlap: a slot that comes due while the previous run is still going is skipped", async () => {
    let release!: () => void;
    const gate = new Promise<void>((res) => {
      release = res;
    });
    let calls = 0;
    const r = rig(undefined, undefined, {
      deliverTurn: async () => {
        calls++;
        await gate;
        return "done";
      },
    });
    const job = await addCronJob(r.store, T0, { message: "slow", everySeconds: 60, origin });
    r.clock.advance(MIN);
    const first = r.svc.tick();
    await vi.waitFor(() => expect(r.svc.isRunning(job.id)).toBe(true));
    r.clock.advance(MIN);
    expect(await r.svc.tick()).toEqual([{ jobId: job.id, status: "skipped" }]);
    release();
    expect(await first).toEqual([{ jobId: job.id, status: "ok" }]);
    expect(calls).toBe(1);
    expect((await r.store.get(job.id))?.nextRunAt).toBe(T0 + 3 * MIN);
  });
});

describe("restarts", () => {
  it("a job whose slots passed while the process was down runs once at start, then resumes its grid", async () => {
    const store = new MemoryCronStore();
    const clock = new ManualClock(T0);
    const before = rig(store, clock);
    const job = await addCronJob(store, T0, { message: "tick", everySeconds: 600, origin });
    before.clock.advance(10 * MIN);
    await before.svc.tick();
    expect(before.turns).toHaveLength(1);
    await before.svc.stop();

    // down for 2 hours: 12 slots missed
    clock.advance(2 * 60 * MIN + 3 * MIN);
    const after = rig(store, clock);
    after.svc.start();
    await vi.waitFor(() => expect(after.sent).toHaveLength(1));
    await vi.waitFor(async () => expect((await store.get(job.id))?.lastRunAt).toBe(clock.now()));
    expect(after.turns).toHaveLength(1);
    expect((await store.get(job.id))?.nextRunAt).toBe(T0 + 140 * MIN);

    // and it keeps running on the clock
    clock.set(T0 + 140 * MIN);
    await vi.waitFor(() => expect(after.turns).toHaveLength(2));
    await after.svc.stop();
  });
});

describe("the loop", () => {
  it("wakes for a job added after start", async () => {
    const r = rig();
    r.svc.start();
    await new Promise((res) => setTimeout(res, 10));
    await addCronJob(r.store, T0, { message: "new", atSeconds: 30, origin });
    r.svc.wake();
    r.clock.advance(30_000);
    await vi.waitFor(() => expect(r.sent).toEqual([{ channel: "telegram", chatId: "42", text: "reply to: new" }]));
    await r.svc.stop();
  });

  it("runs nothing after stop", async () => {
    const r = rig();
    await addCronJob(r.store, T0, { message: "x", everySeconds: 60, origin });
    r.svc.start();
    await r.svc.stop();
    r.clock.advance(10 * MIN);
    await new Promise((res) => setTimeout(res, 20));
    expect(r.turns).toHaveLength(0);
  });
});

describe("shell jobs", () => {
  it("run with output captured; the output goes to a chat origin", async () => {
    const r = rig();
    const job = await addCronJob(r.store, T0, { command: "echo disk ok", everySeconds: 60, origin }, { allowShell: true });
    r.clock.advance(MIN);
    expect(await r.svc.tick()).toEqual([{ jobId: job.id, status: "ok" }]);
    expect(r.turns).toHaveLength(0);
    expect(r.sent).toEqual([{ channel: "telegram", chatId: "42", text: "disk ok" }]);
  });

  it("are stopped after tools.cron.exec_timeout_minutes and recorded as timed out", async () => {
    const r = rig(undefined, undefined, { execTimeoutMinutes: 2 });
    const cli = { channel: "cli", chatId: "local" };
    const job = await addCronJob(r.store, T0, { command: "echo begin; sleep 30", everySeconds: 3600, origin: cli }, { allowShell: true });
    r.clock.advance(60 * MIN);
    const run = r.svc.tick();
    await vi.waitFor(() => expect(r.svc.isRunning(job.id)).toBe(true));
    await new Promise((res) => setTimeout(res, 20));
    r.clock.advance(2 * MIN);
    const [result] = await run;
    expect(result?.status).toBe("timeout");
    const stored = await r.store.get(job.id);
    expect(stored?.lastStatus).toBe("timeout");
    expect(stored?.lastError).toMatch(/2 minute/);
    expect(r.sent).toEqual([]); // a CLI job keeps its output in the store
  });

  it("default to a five-minute timeout", async () => {
    const seen: number[] = [];
    const r = rig(undefined, undefined, {
      runShell: async (_cmd, opts) => {
        seen.push(opts.timeoutMs);
        return { status: "ok", exitCode: 0, output: "", truncated: false };
      },
    });
    await addCronJob(r.store, T0, { command: "true", everySeconds: 60, origin: { channel: "cli", chatId: "local" } }, { allowShell: true });
    r.clock.advance(MIN);
    await r.svc.tick();
    expect(seen).toEqual([5 * MIN]);
  });
});

describe("restarts on SQLite", () => {
  it("keep jobs and run a missed slot once after the process comes back", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sb-cron-"));
    try {
      const file = join(dir, "switchboard.db");
      const clock = new ManualClock(T0);
      const firstLife = openStore(file);
      const first = firstLife.cron;
      const job = await addCronJob(first, T0, { message: "daily digest", cron: "0 7 * * *", tz: "Europe/London", origin });
      const life1 = rig(first, clock);
      clock.set(Date.UTC(2026, 0, 1, 7, 0));
      await life1.svc.tick();
      expect(life1.turns).toHaveLength(1);
      await life1.svc.stop();
      firstLife.close();

      // down for three days: three 07:00 slots missed
      clock.set(Date.UTC(2026, 0, 4, 12, 0));
      const secondLife = openStore(file);
      const second = secondLife.cron;
      const life2 = rig(second, clock);
      expect(await life2.svc.tick()).toEqual([{ jobId: job.id, status: "ok" }]);
      expect(await life2.svc.tick()).toEqual([]);
      expect(life2.sent).toEqual([{ channel: "telegram", chatId: "42", text: "reply to: daily digest" }]);
      expect(second.get(job.id)).toMatchObject({ nextRunAt: Date.UTC(2026, 0, 5, 7, 0), lastRunAt: Date.UTC(2026, 0, 4, 12, 0) });
      await life2.svc.stop();
      secondLife.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
