// The `cron` tool (the model schedules agent messages in its own chat) and the
// plain functions behind `switchboard cron list|add|remove|enable|disable`.
// Only the local CLI may create shell-command jobs.
import { z } from "zod";
import { describeSchedule, firstRunAt, nextRunAfter, ScheduleError, validateSchedule, type CronSchedule } from "../scheduler/schedule.ts";
import type { CronJob, CronJobStore, JobOrigin } from "../scheduler/types.ts";
import { ToolError, type Tool } from "./types.ts";

/** What to schedule, as the CLI and the tool describe it. Exactly one of at/atSeconds/everySeconds/cron. */
export interface CronJobSpec {
  name?: string;
  /** agent job: the message the agent receives in the job's chat */
  message?: string;
  /** shell job (local CLI only): the command run by /bin/sh */
  command?: string;
  /** once, this many seconds from now */
  atSeconds?: number;
  /** once, at this instant (epoch ms or an ISO 8601 string with a zone) */
  at?: number | string;
  everySeconds?: number;
  cron?: string;
  /** IANA time zone of the cron expression (UTC when absent) */
  tz?: string;
  origin: JobOrigin;
}

/** Thrown by the plain functions; the message is a sentence fit for the user. */
export class CronJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CronJobError";
  }
}

export interface Owner {
  channel: string;
  chatId: string;
}

const MAX_MESSAGE_CHARS = 4000;

/** Turns the when-part of a spec into a schedule; throws ScheduleError with a fix. */
export function scheduleFromSpec(spec: Omit<CronJobSpec, "origin">, now: number): CronSchedule {
  const given = [spec.atSeconds, spec.at, spec.everySeconds, spec.cron].filter((v) => v !== undefined).length;
  if (given !== 1) {
    throw new ScheduleError("give exactly one of: a delay in seconds (at), an interval in seconds (every) or a cron expression");
  }
  if (spec.tz !== undefined && spec.cron === undefined) throw new ScheduleError("a time zone only applies to a cron expression");
  let schedule: CronSchedule;
  if (spec.atSeconds !== undefined) {
    if (!Number.isFinite(spec.atSeconds) || spec.atSeconds <= 0) throw new ScheduleError("the delay must be a positive number of seconds");
    schedule = { kind: "at", at: now + Math.round(spec.atSeconds * 1000) };
  } else if (spec.at !== undefined) {
    const at = typeof spec.at === "number" ? spec.at : Date.parse(spec.at);
    if (Number.isNaN(at)) throw new ScheduleError(`"${String(spec.at)}" is not a date and time; use ISO 8601, e.g. 2026-03-01T09:00:00+01:00`);
    schedule = { kind: "at", at };
  } else if (spec.everySeconds !== undefined) {
    schedule = { kind: "every", everyMs: Math.round(spec.everySeconds * 1000), anchor: now };
  } else {
    schedule = { kind: "cron", expr: (spec.cron ?? "").trim(), ...(spec.tz ? { tz: spec.tz } : {}) };
  }
  validateSchedule(schedule, now);
  return schedule;
}

/** Adds a job. Shell jobs need `allowShell` (set only by the local CLI). */
export async function addCronJob(
  store: CronJobStore,
  now: number,
  spec: CronJobSpec,
  opts: { allowShell?: boolean } = {},
): Promise<CronJob> {
  const message = spec.message?.trim();
  const command = spec.command?.trim();
  if ((message ? 1 : 0) + (command ? 1 : 0) !== 1) throw new CronJobError("a job needs either a message or a shell command (not both)");
  if (command && !opts.allowShell) throw new CronJobError("shell-command jobs can only be created from the local command line");
  if (message && message.length > MAX_MESSAGE_CHARS) throw new CronJobError(`the message is longer than ${MAX_MESSAGE_CHARS} characters`);
  let schedule: CronSchedule;
  try {
    schedule = scheduleFromSpec(spec, now);
  } catch (err) {
    if (err instanceof ScheduleError) throw new CronJobError(err.message);
    throw err;
  }
  return store.add({
    ...(spec.name?.trim() ? { name: spec.name.trim() } : {}),
    schedule,
    payload: command ? { kind: "shell", command } : { kind: "agent", message: message ?? "" },
    origin: spec.origin,
    nextRunAt: firstRunAt(schedule, now),
    createdAt: now,
  });
}

const owns = (job: CronJob, owner: Owner | undefined): boolean =>
  owner === undefined || (job.origin.channel === owner.channel && job.origin.chatId === owner.chatId);

/** Jobs, all of them (CLI) or those of one chat. */
export async function listCronJobs(store: CronJobStore, owner?: Owner): Promise<CronJob[]> {
  return (await store.list()).filter((j) => owns(j, owner));
}

async function ownedJob(store: CronJobStore, id: string, owner: Owner | undefined): Promise<CronJob> {
  const job = await store.get(id);
  if (!job || !owns(job, owner)) {
    throw new CronJobError(owner ? `there is no job "${id}" in this chat` : `there is no job "${id}"`);
  }
  return job;
}

export async function removeCronJob(store: CronJobStore, id: string, owner?: Owner): Promise<CronJob> {
  const job = await ownedJob(store, id, owner);
  await store.remove(id);
  return job;
}

/** Enables (next run computed from now) or disables a job. */
export async function setCronJobEnabled(
  store: CronJobStore,
  id: string,
  enabled: boolean,
  now: number,
  owner?: Owner,
): Promise<CronJob> {
  const job = await ownedJob(store, id, owner);
  let next: number | null = null;
  if (enabled) {
    next = job.schedule.kind === "at" ? job.schedule.at : nextRunAfter(job.schedule, now);
    if (job.schedule.kind === "at" && job.schedule.at <= now) {
      throw new CronJobError(`job "${id}" was a one-time job whose time has passed; add a new one instead`);
    }
  }
  await store.setEnabled(id, enabled, next);
  return { ...job, enabled, nextRunAt: next };
}

/** One line per job for `cron list` and the tool. */
export function formatCronJob(job: CronJob): string {
  const what = job.payload.kind === "shell" ? `shell: ${job.payload.command}` : `message: ${job.payload.message}`;
  const state = job.enabled
    ? job.nextRunAt !== null
      ? `next ${new Date(job.nextRunAt).toISOString()}`
      : "no further runs"
    : "disabled";
  const last = job.lastRunAt !== undefined ? `, last ${job.lastStatus ?? "?"}${job.lastError ? ` (${job.lastError})` : ""}` : "";
  const name = job.name ? ` "${job.name}"` : "";
  return `${job.id}${name} — ${describeSchedule(job.schedule)} — ${state}${last} — ${clip(what, 120)}`;
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

// ---- the model's tool ----

const ACTIONS = ["add", "list", "remove", "enable", "disable"] as const;

export const cronArgs = z
  .object({
    action: z.enum(ACTIONS).describe("add a job, list this chat's jobs, or remove/enable/disable one by id"),
    message: z.string().trim().min(1).max(MAX_MESSAGE_CHARS).optional().describe("add: what you will be told when the job fires"),
    at_seconds: z.number().positive().optional().describe("add: run once, this many seconds from now"),
    every_seconds: z.number().int().min(60).optional().describe("add: run every N seconds (at least 60)"),
    cron_expr: z.string().trim().min(1).optional().describe('add: five-field cron expression, e.g. "0 9 * * 1-5"'),
    tz: z.string().trim().min(1).optional().describe('add: IANA time zone of cron_expr, e.g. "Europe/Berlin" (default UTC)'),
    name: z.string().trim().min(1).max(100).optional().describe("add: a short label"),
    job_id: z.string().trim().min(1).optional().describe("remove/enable/disable: the job's id from list"),
  })
  .superRefine((a, ctx) => {
    const issue = (message: string, path: string): void => {
      ctx.addIssue({ code: "custom", message, path: [path] });
    };
    if (a.action === "add") {
      if (a.message === undefined) issue("add needs a message", "message");
      const whens = [a.at_seconds, a.every_seconds, a.cron_expr].filter((v) => v !== undefined).length;
      if (whens !== 1) issue("add needs exactly one of at_seconds, every_seconds or cron_expr", "at_seconds");
      if (a.tz !== undefined && a.cron_expr === undefined) issue("tz only applies together with cron_expr", "tz");
    } else if (a.action !== "list" && a.job_id === undefined) {
      issue(`${a.action} needs job_id`, "job_id");
    }
  });
export type CronArgs = z.infer<typeof cronArgs>;

export interface CronToolOptions {
  store: CronJobStore;
  /** called after a change so the scheduler re-reads the store (CronService.wake) */
  onChange?: () => void;
}

export function createCronTool(opts: CronToolOptions): Tool<typeof cronArgs> {
  return {
    name: "cron",
    description:
      "Schedule messages to yourself in this chat: once after a delay (at_seconds), repeatedly (every_seconds) " +
      "or on a cron expression with a time zone. When a job fires you receive its message as a new turn here " +
      "and your reply goes to this chat. Also lists, removes, enables and disables this chat's jobs.",
    schema: cronArgs,
    async run(args, ctx) {
      const owner: Owner = { channel: ctx.origin.channel, chatId: ctx.origin.chatId };
      const now = ctx.clock.now();
      try {
        switch (args.action) {
          case "add": {
            const job = await addCronJob(opts.store, now, {
              message: args.message,
              ...(args.at_seconds !== undefined ? { atSeconds: args.at_seconds } : {}),
              ...(args.every_seconds !== undefined ? { everySeconds: args.every_seconds } : {}),
              ...(args.cron_expr !== undefined ? { cron: args.cron_expr } : {}),
              ...(args.tz !== undefined ? { tz: args.tz } : {}),
              ...(args.name !== undefined ? { name: args.name } : {}),
              origin: {
                channel: ctx.origin.channel,
                chatId: ctx.origin.chatId,
                sessionKey: ctx.origin.sessionKey,
                ...(ctx.origin.senderId !== undefined ? { senderId: ctx.origin.senderId } : {}),
              },
            });
            opts.onChange?.();
            return `Scheduled job ${job.id}: ${formatCronJob(job)}`;
          }
          case "list": {
            const jobs = await listCronJobs(opts.store, owner);
            return jobs.length === 0 ? "No jobs in this chat." : jobs.map(formatCronJob).join("\n");
          }
          case "remove": {
            const job = await removeCronJob(opts.store, args.job_id ?? "", owner);
            opts.onChange?.();
            return `Removed job ${job.id}.`;
          }
          case "enable":
          case "disable": {
            const job = await setCronJobEnabled(opts.store, args.job_id ?? "", args.action === "enable", now, owner);
            opts.onChange?.();
            return `${args.action === "enable" ? "Enabled" : "Disabled"} job ${job.id}: ${formatCronJob(job)}`;
          }
        }
      } catch (err) {
        if (err instanceof CronJobError) throw new ToolError(err.message);
        throw err;
      }
    },
  };
}
