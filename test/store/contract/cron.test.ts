// Cron jobs and their runs: the same behaviour on SQLite and PostgreSQL.
import { expect, it } from "vitest";
import type { NewCronJob } from "../../../src/scheduler/types.ts";
import { CRON_RUNS_KEPT } from "../../../src/store/cron.ts";
import { contract } from "./harness.ts";

const spec = (name: string, nextRunAt: number | null): NewCronJob => ({
  name,
  schedule: { kind: "every", everyMs: 60_000, anchor: 0 },
  payload: { kind: "agent", message: `do ${name}` },
  origin: { channel: "telegram", chatId: "42", sessionKey: "s1" },
  nextRunAt,
  createdAt: 1,
});

contract("cron", (h) => {
  it("stores the whole job and never reuses an id, not even after the newest is removed", async () => {
    const a = await h.store.cron.add(spec("a", 100));
    const b = await h.store.cron.add(spec("b", 200));
    expect([a.id, b.id]).toEqual(["job1", "job2"]);
    expect(await h.store.cron.get("job1")).toEqual({ ...spec("a", 100), id: "job1", enabled: true });
    expect(await h.store.cron.remove("job2")).toBe(true);
    expect(await h.store.cron.remove("job2")).toBe(false);
    expect((await (await h.another()).cron.add(spec("c", 300))).id).toBe("job3");
    expect((await h.store.cron.list()).map((j) => j.id)).toEqual(["job1", "job3"]);
    expect(await h.store.cron.get("job2")).toBeUndefined();
  });

  it("finds due jobs earliest first, skipping disabled and finished ones; setNextRun claims the slot", async () => {
    await h.store.cron.add(spec("late", 300));
    await h.store.cron.add(spec("early", 100));
    await h.store.cron.add(spec("off", 50));
    await h.store.cron.add(spec("done", null));
    await h.store.cron.setEnabled("job3", false, 50);
    expect((await h.store.cron.due(1000)).map((j) => j.name)).toEqual(["early", "late"]);
    expect((await h.store.cron.due(150)).map((j) => j.name)).toEqual(["early"]);
    await h.store.cron.setNextRun("job2", 10_000, true);
    expect((await h.store.cron.due(1000)).map((j) => j.name)).toEqual(["late"]);
    await h.store.cron.setNextRun("job1", null, false);
    expect(await h.store.cron.get("job1")).toMatchObject({ enabled: false, nextRunAt: null });
    expect(await h.store.cron.due(100_000)).toHaveLength(1);
  });

  it("markRun records the outcome on the job and keeps the last runs, newest first", async () => {
    await h.store.cron.add(spec("a", 100));
    await h.store.cron.markRun("job1", { at: 1, status: "error", error: "boom", output: "partial" });
    expect(await h.store.cron.get("job1")).toMatchObject({ lastRunAt: 1, lastStatus: "error", lastError: "boom" });
    for (let i = 2; i <= CRON_RUNS_KEPT + 5; i++) await h.store.cron.markRun("job1", { at: i, status: "ok", output: `run ${i}` });
    const job = await h.store.cron.get("job1");
    expect(job).toMatchObject({ lastRunAt: CRON_RUNS_KEPT + 5, lastStatus: "ok" });
    expect(job?.lastError).toBeUndefined();
    const runs = await h.store.cron.runs("job1");
    expect(runs).toHaveLength(CRON_RUNS_KEPT);
    expect(runs[0]).toEqual({ at: CRON_RUNS_KEPT + 5, status: "ok", output: `run ${CRON_RUNS_KEPT + 5}` });
    expect(runs.at(-1)!.at).toBe(6);
    expect(await h.store.cron.runs("job1", 2)).toHaveLength(2);
  });

  it("removing a job removes its history; marking a removed job does nothing", async () => {
    await h.store.cron.add(spec("a", 100));
    await h.store.cron.markRun("job1", { at: 1, status: "timeout" });
    await h.store.cron.remove("job1");
    await h.store.cron.markRun("job1", { at: 2, status: "ok" });
    expect(await h.store.cron.runs("job1")).toEqual([]);
    expect(await h.store.cron.get("job1")).toBeUndefined();
  });

  it("updates from two connections at once are both kept", async () => {
    await h.store.cron.add(spec("a", 100));
    const other = await h.another();
    await Promise.all([h.store.cron.markRun("job1", { at: 5, status: "ok" }), other.cron.setNextRun("job1", 999, true)]);
    expect(await h.store.cron.get("job1")).toMatchObject({ lastRunAt: 5, lastStatus: "ok", nextRunAt: 999 });
  });
});
