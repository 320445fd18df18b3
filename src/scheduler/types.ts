// What the scheduler needs from the rest of the program. Narrow on purpose:
// the gateway wires these to the SQLite store, the agent runtime and the outbox.
import type { CronSchedule } from "./schedule.ts";

/** What a job does when it fires. Shell jobs are created only from the local CLI. */
export type CronPayload = { kind: "agent"; message: string } | { kind: "shell"; command: string };

/** The chat a job belongs to; an agent job's turn runs there and its reply goes there. */
export interface JobOrigin {
  channel: string;
  chatId: string;
  sessionKey?: string;
  senderId?: string;
}

export type RunStatus = "ok" | "error" | "timeout";

export interface CronJob {
  id: string;
  name?: string;
  schedule: CronSchedule;
  payload: CronPayload;
  origin: JobOrigin;
  enabled: boolean;
  /** epoch ms of the next run; null when the job will not run again */
  nextRunAt: number | null;
  createdAt: number;
  lastRunAt?: number;
  lastStatus?: RunStatus;
  lastError?: string;
}

export interface NewCronJob {
  name?: string;
  schedule: CronSchedule;
  payload: CronPayload;
  origin: JobOrigin;
  nextRunAt: number | null;
  createdAt: number;
}

export interface RunRecord {
  at: number;
  status: RunStatus;
  error?: string;
  /** captured output (shell jobs) or the reply (agent jobs), already capped */
  output?: string;
}

type MaybePromise<T> = T | Promise<T>;

/** Persistence of jobs (SQLite in the daemon). All state the service needs survives a restart. */
export interface CronJobStore {
  add(job: NewCronJob): MaybePromise<CronJob>;
  get(id: string): MaybePromise<CronJob | undefined>;
  list(): MaybePromise<CronJob[]>;
  remove(id: string): MaybePromise<boolean>;
  setEnabled(id: string, enabled: boolean, nextRunAt: number | null): MaybePromise<void>;
  /** enabled jobs whose next run is at or before `now` */
  due(now: number): MaybePromise<CronJob[]>;
  /** claims the slot: the next run moves on (null and disabled for a finished `at` job) */
  setNextRun(id: string, nextRunAt: number | null, enabled: boolean): MaybePromise<void>;
  /** records how a run went */
  markRun(id: string, run: RunRecord): MaybePromise<void>;
}

/**
 * Hands a synthetic message to the agent in the job's chat and returns the
 * reply text. `text` is the job's message marked as a scheduled task
 * (cron-text.ts): the turn's text, as the model should see it.
 */
export type DeliverTurn = (job: CronJob, signal: AbortSignal, text: string) => Promise<string | undefined>;

/** Sends text to a chat through the outbox. */
export type SendFn = (channel: string, chatId: string, text: string) => Promise<void>;
