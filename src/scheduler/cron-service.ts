// Runs due cron jobs on the injected clock. All state lives in the store, so
// a restart picks up where the last process stopped: a job whose slot passed
// while nothing was running fires once at start, then moves to its next slot
// after "now" (never once per missed slot).
import type { Clock } from "../core/clock.ts";
import { silentLogger, type Logger } from "../core/logger.ts";
import { scheduledTaskText } from "./cron-text.ts";
import { nextRunAfter } from "./schedule.ts";
import { runShellCommand, type ShellOptions, type ShellResult } from "./shell-runner.ts";
import type { CronJob, CronJobStore, DeliverTurn, RunRecord, SendFn } from "./types.ts";
import { errorMessage } from "../core/errors.ts";

export const DEFAULT_EXEC_TIMEOUT_MINUTES = 5;
/** The loop re-reads the store at least this often, whatever the next due time. */
const DEFAULT_MAX_SLEEP_MS = 60_000;
const MAX_RECORDED_CHARS = 4000;

/** Channels that are not chats: a shell job created there keeps its output in the store only. */
const LOCAL_CHANNELS = new Set(["cli", "local"]);

export interface CronServiceOptions {
  store: CronJobStore;
  clock: Clock;
  /** runs an agent job as a turn in the job's chat; the reply goes to `send` */
  deliverTurn: DeliverTurn;
  send: SendFn;
  logger?: Logger;
  /** tools.cron.exec_timeout_minutes */
  execTimeoutMinutes?: number;
  maxOutputBytes?: number;
  /** working directory of shell jobs (the workspace) */
  shellCwd?: string;
  runShell?: (command: string, opts: ShellOptions) => Promise<ShellResult>;
  maxSleepMs?: number;
  /**
   * a fleet's fire-once gate (src/gateway/fleet-hooks.ts): every gateway runs
   * this loop, and a due run fires on the one that claims it; absent on a lone gateway
   */
  claimFire?: (jobId: string, scheduledAt: number) => Promise<boolean>;
}

export interface JobRun {
  jobId: string;
  /** "skipped" when the previous run of the job was still going */
  status: RunRecord["status"] | "skipped";
  error?: string;
}

export class CronService {
  private readonly opts: CronServiceOptions;
  private readonly log: Logger;
  private readonly running = new Map<string, Promise<JobRun>>();
  private readonly shutdown = new AbortController();
  private loopDone: Promise<void> | undefined;
  private stopped = false;
  private wakeUp: (() => void) | undefined;

  constructor(opts: CronServiceOptions) {
    this.opts = opts;
    this.log = opts.logger ?? silentLogger();
  }

  /** Starts the loop; the first pass runs every job that came due while the process was down. */
  start(): void {
    if (this.loopDone || this.stopped) return;
    this.loopDone = this.loop();
  }

  /** Stops the loop, kills running shell commands and waits for runs in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.shutdown.abort();
    this.wake();
    await this.loopDone;
    await Promise.allSettled([...this.running.values()]);
  }

  /** Re-reads the store now (call after adding, removing or enabling a job). */
  wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  isRunning(jobId: string): boolean {
    return this.running.has(jobId);
  }

  /**
   * Runs one job now, outside its schedule (the control page's "run now"),
   * leaving its next scheduled run as it was. Resolves when the run is done;
   * a job already running is not started twice.
   */
  async runNow(jobId: string): Promise<JobRun> {
    const job = await this.opts.store.get(jobId);
    if (!job) return { jobId, status: "error", error: `no cron job ${jobId}` };
    const inFlight = this.running.get(jobId);
    if (inFlight) return inFlight;
    const run = this.execute(job, this.opts.clock.now()).finally(() => this.running.delete(jobId));
    this.running.set(jobId, run);
    return run;
  }

  /** Runs every job due now and waits for those runs to finish. */
  async tick(): Promise<JobRun[]> {
    return Promise.all(await this.launchDue());
  }

  private async loop(): Promise<void> {
    const maxSleep = this.opts.maxSleepMs ?? DEFAULT_MAX_SLEEP_MS;
    while (!this.stopped) {
      try {
        await this.launchDue();
      } catch (err) {
        this.log.error({ err: errorMessage(err) }, "cron: reading due jobs failed");
      }
      if (this.stopped) break;
      let delay = maxSleep;
      try {
        const next = await this.nextDueAt();
        if (next !== undefined) delay = Math.min(maxSleep, Math.max(0, next - this.opts.clock.now()));
      } catch (err) {
        this.log.error({ err: errorMessage(err) }, "cron: reading the job list failed");
      }
      await this.sleep(delay);
    }
  }

  private async sleep(ms: number): Promise<void> {
    const ac = new AbortController();
    const woken = new Promise<void>((resolve) => {
      this.wakeUp = resolve;
    });
    await Promise.race([this.opts.clock.sleep(ms, ac.signal).catch(() => {}), woken]);
    ac.abort();
  }

  private async nextDueAt(): Promise<number | undefined> {
    let next: number | undefined;
    for (const job of await this.opts.store.list()) {
      if (!job.enabled || job.nextRunAt === null) continue;
      if (next === undefined || job.nextRunAt < next) next = job.nextRunAt;
    }
    return next;
  }

  /** Claims each due slot and starts its run; resolves once all are started. */
  private async launchDue(): Promise<Promise<JobRun>[]> {
    const now = this.opts.clock.now();
    const runs: Promise<JobRun>[] = [];
    for (const job of await this.opts.store.due(now)) {
      if (this.stopped) break;
      const { run } = await this.launch(job, now);
      runs.push(run);
    }
    return runs;
  }

  /** Returns the run wrapped, so awaiting the launch does not await the run. */
  private async launch(job: CronJob, now: number): Promise<{ run: Promise<JobRun> }> {
    const next = nextRunAfterSafe(job, now, this.log);
    // in a fleet, the run scheduled at this slot fires on one gateway: the others only move the job on
    const elsewhere = this.opts.claimFire && job.nextRunAt !== null && !(await this.opts.claimFire(job.id, job.nextRunAt));
    // Claim the slot before running, so a slow run, a second tick or a crash
    // never fires the same slot twice.
    await this.opts.store.setNextRun(job.id, next, next !== null);
    if (elsewhere) {
      this.log.debug({ job: job.id }, "cron: this run fires on another gateway");
      return { run: Promise.resolve({ jobId: job.id, status: "skipped" }) };
    }
    const inFlight = this.running.get(job.id);
    if (inFlight) {
      this.log.warn({ job: job.id }, "cron: previous run still going; this slot is skipped");
      return { run: Promise.resolve({ jobId: job.id, status: "skipped" }) };
    }
    const run = this.execute(job, now).finally(() => this.running.delete(job.id));
    this.running.set(job.id, run);
    return { run };
  }

  private async execute(job: CronJob, startedAt: number): Promise<JobRun> {
    let record: RunRecord;
    try {
      record = job.payload.kind === "shell" ? await this.runShellJob(job, job.payload.command) : await this.runAgentJob(job, startedAt);
    } catch (err) {
      record = { at: startedAt, status: "error", error: clip(errorMessage(err), 500) };
    }
    record.at = startedAt;
    try {
      await this.opts.store.markRun(job.id, record);
    } catch (err) {
      this.log.error({ job: job.id, err: errorMessage(err) }, "cron: recording a run failed");
    }
    if (record.status === "ok") this.log.info({ job: job.id }, "cron: job ran");
    else this.log.warn({ job: job.id, status: record.status, error: record.error }, "cron: job failed");
    return { jobId: job.id, status: record.status, ...(record.error ? { error: record.error } : {}) };
  }

  private async runAgentJob(job: CronJob, firedAt: number): Promise<RunRecord> {
    const reply = (await this.opts.deliverTurn(job, this.shutdown.signal, scheduledTaskText(job, firedAt)))?.trim();
    if (reply) await this.opts.send(job.origin.channel, job.origin.chatId, reply);
    return { at: 0, status: "ok", ...(reply ? { output: clip(reply, MAX_RECORDED_CHARS) } : {}) };
  }

  private async runShellJob(job: CronJob, command: string): Promise<RunRecord> {
    const minutes = this.opts.execTimeoutMinutes ?? DEFAULT_EXEC_TIMEOUT_MINUTES;
    const run = this.opts.runShell ?? runShellCommand;
    const result = await run(command, {
      timeoutMs: minutes * 60_000,
      clock: this.opts.clock,
      signal: this.shutdown.signal,
      ...(this.opts.maxOutputBytes !== undefined ? { maxOutputBytes: this.opts.maxOutputBytes } : {}),
      ...(this.opts.shellCwd !== undefined ? { cwd: this.opts.shellCwd } : {}),
    });
    if (!LOCAL_CHANNELS.has(job.origin.channel)) {
      const head = result.status === "ok" ? "" : `⚠️ ${result.error ?? "the command failed"}\n`;
      const text = `${head}${result.output.trim()}`.trim();
      if (text) await this.opts.send(job.origin.channel, job.origin.chatId, text);
    }
    return {
      at: 0,
      status: result.status,
      output: clip(result.output, MAX_RECORDED_CHARS),
      ...(result.error ? { error: result.error } : {}),
    };
  }
}

function nextRunAfterSafe(job: CronJob, now: number, log: Logger): number | null {
  try {
    return nextRunAfter(job.schedule, now);
  } catch (err) {
    // A schedule that no longer parses (e.g. a time zone dropped from ICU) disables the job.
    log.error({ job: job.id, err: errorMessage(err) }, "cron: schedule is invalid; job disabled");
    return null;
  }
}


function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
