import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import {
  addCronJob,
  createCronTool,
  cronArgs,
  CronJobError,
  formatCronJob,
  listCronJobs,
  removeCronJob,
  setCronJobEnabled,
} from "../../src/tools/cron-tool.ts";
import { ToolError, type ToolContext, type TurnOrigin } from "../../src/tools/types.ts";
import { MemoryCronStore } from "../scheduler/memory-store.ts";

const T0 = Date.UTC(2026, 0, 1, 0, 0);
const chatA: TurnOrigin = { sessionKey: "telegram:1", channel: "telegram", chatId: "1", senderId: "u1" };
const chatB: TurnOrigin = { sessionKey: "discord:2", channel: "discord", chatId: "2" };

function ctx(origin: TurnOrigin, clock = new ManualClock(T0)): ToolContext {
  return { origin, signal: new AbortController().signal, logger: silentLogger(), clock };
}

async function run(tool: ReturnType<typeof createCronTool>, raw: unknown, origin: TurnOrigin = chatA): Promise<string> {
  const args = cronArgs.parse(raw);
  const out = await tool.run(args, ctx(origin));
  return typeof out === "string" ? out : out.text;
}

describe("argument validation", () => {
  const issues = (raw: unknown) => {
    const r = cronArgs.safeParse(raw);
    return r.success ? [] : r.error.issues.map((i) => i.message);
  };

  it("needs a message and exactly one schedule for add", () => {
    expect(issues({ action: "add", at_seconds: 10 })).toContain("add needs a message");
    expect(issues({ action: "add", message: "x" })).toContain("add needs exactly one of at_seconds, every_seconds or cron_expr");
    expect(issues({ action: "add", message: "x", at_seconds: 10, every_seconds: 60 })).toContain(
      "add needs exactly one of at_seconds, every_seconds or cron_expr",
    );
    expect(issues({ action: "add", message: "x", every_seconds: 60, tz: "UTC" })).toContain("tz only applies together with cron_expr");
    expect(issues({ action: "add", message: "x", at_seconds: 10 })).toEqual([]);
  });

  it("refuses intervals under a minute and non-positive delays", () => {
    expect(cronArgs.safeParse({ action: "add", message: "x", every_seconds: 5 }).success).toBe(false);
    expect(cronArgs.safeParse({ action: "add", message: "x", at_seconds: 0 }).success).toBe(false);
  });

  it("needs job_id for remove, enable and disable", () => {
    for (const action of ["remove", "enable", "disable"]) expect(issues({ action })).toContain(`${action} needs job_id`);
    expect(issues({ action: "list" })).toEqual([]);
  });

  it("has no way to ask for a shell command", () => {
    const parsed = cronArgs.parse({ action: "add", message: "x", at_seconds: 10, command: "rm -rf /" });
    expect(parsed).not.toHaveProperty("command");
  });
});

describe("the cron tool", () => {
  it("adds a job owned by the calling chat", async () => {
    const store = new MemoryCronStore();
    const tool = createCronTool({ store });
    const text = await run(tool, { action: "add", message: "drink water", every_seconds: 3600, name: "water" });
    expect(text).toMatch(/^Scheduled job job1: job1 "water" — every 1h — next 2026-01-01T01:00:00.000Z/);
    const [job] = store.list();
    expect(job?.origin).toEqual({ channel: "telegram", chatId: "1", sessionKey: "telegram:1", senderId: "u1" });
    expect(job?.payload).toEqual({ kind: "agent", message: "drink water" });
  });

  it("gives a clear error for a bad cron expression or time zone", async () => {
    const tool = createCronTool({ store: new MemoryCronStore() });
    await expect(run(tool, { action: "add", message: "x", cron_expr: "0 25 * * *" })).rejects.toThrow(
      /invalid cron expression "0 25 \* \* \*".*hour/,
    );
    await expect(run(tool, { action: "add", message: "x", cron_expr: "every monday" })).rejects.toThrow(/five fields/);
    await expect(run(tool, { action: "add", message: "x", cron_expr: "0 9 * * *", tz: "Europe/Nowhere" })).rejects.toThrow(
      ToolError,
    );
  });

  it("lists, disables, enables and removes only this chat's jobs", async () => {
    const store = new MemoryCronStore();
    let changes = 0;
    const tool = createCronTool({ store, onChange: () => changes++ });
    await run(tool, { action: "add", message: "mine", every_seconds: 600 }, chatA);
    await run(tool, { action: "add", message: "theirs", every_seconds: 600 }, chatB);
    expect(await run(tool, { action: "list" }, chatA)).toMatch(/job1 .*message: mine/);
    expect(await run(tool, { action: "list" }, chatA)).not.toContain("theirs");

    await expect(run(tool, { action: "remove", job_id: "job2" }, chatA)).rejects.toThrow('there is no job "job2" in this chat');
    expect(await run(tool, { action: "disable", job_id: "job1" }, chatA)).toMatch(/Disabled job job1: .*disabled/);
    expect(store.get("job1")?.enabled).toBe(false);
    expect(await run(tool, { action: "enable", job_id: "job1" }, chatA)).toMatch(/next 2026-01-01T00:10:00.000Z/);
    expect(await run(tool, { action: "remove", job_id: "job1" }, chatA)).toBe("Removed job job1.");
    expect(store.get("job1")).toBeUndefined();
    expect(store.get("job2")).toBeDefined();
    expect(await run(tool, { action: "list" }, chatA)).toBe("No jobs in this chat.");
    expect(changes).toBe(5);
  });
});

describe("plain functions for the CLI", () => {
  const cli = { channel: "cli", chatId: "local" };

  it("create shell jobs only when allowed", async () => {
    const store = new MemoryCronStore();
    await expect(addCronJob(store, T0, { command: "df -h", everySeconds: 60, origin: cli })).rejects.toThrow(
      "shell-command jobs can only be created from the local command line",
    );
    const job = await addCronJob(store, T0, { command: "df -h", cron: "0 * * * *", origin: cli }, { allowShell: true });
    expect(job.payload).toEqual({ kind: "shell", command: "df -h" });
    expect(formatCronJob(job)).toContain("shell: df -h");
  });

  it("accept ISO instants and refuse ambiguous specs", async () => {
    const store = new MemoryCronStore();
    const job = await addCronJob(store, T0, { message: "x", at: "2026-01-02T09:00:00+01:00", origin: cli });
    expect(job.nextRunAt).toBe(Date.UTC(2026, 0, 2, 8, 0));
    await expect(addCronJob(store, T0, { message: "x", at: "tomorrow", origin: cli })).rejects.toThrow(/ISO 8601/);
    await expect(addCronJob(store, T0, { message: "x", origin: cli })).rejects.toThrow(CronJobError);
    await expect(addCronJob(store, T0, { message: "x", command: "ls", everySeconds: 60, origin: cli }, { allowShell: true })).rejects.toThrow(
      /either a message or a shell command/,
    );
  });

  it("list all jobs without an owner, and manage them by id", async () => {
    const store = new MemoryCronStore();
    await addCronJob(store, T0, { message: "a", everySeconds: 60, origin: chatA });
    await addCronJob(store, T0, { message: "b", atSeconds: 60, origin: chatB });
    expect((await listCronJobs(store)).map((j) => j.id)).toEqual(["job1", "job2"]);
    await setCronJobEnabled(store, "job2", false, T0);
    await expect(setCronJobEnabled(store, "job2", true, T0 + 120_000)).rejects.toThrow(/time has passed/);
    await removeCronJob(store, "job1");
    await expect(removeCronJob(store, "job1")).rejects.toThrow('there is no job "job1"');
  });
});
