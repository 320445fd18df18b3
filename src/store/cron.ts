// Cron jobs for the scheduler. A job is a JSON document plus the two columns
// the scheduler queries (enabled, next_run_at). Ids come from a counter that
// only goes up ("job1", "job2", …), so a removed job's id is never given to a
// later one: a stale `cron remove job3` cannot hit somebody else's job.
import type { CronJob, CronJobStore, NewCronJob, RunRecord, RunStatus } from "../scheduler/types.ts";
import { transaction, type Db } from "./db.ts";

interface Row {
  id: string;
  doc: string;
  enabled: number;
  next_run_at: number | null;
}

interface RunRow {
  at: number;
  status: RunStatus;
  error: string | null;
  output: string | null;
}

/** run history kept per job */
export const CRON_RUNS_KEPT = 20;

function job(row: Row): CronJob {
  return { ...(JSON.parse(row.doc) as CronJob), id: row.id, enabled: row.enabled === 1, nextRunAt: row.next_run_at };
}

export class SqliteCronStore implements CronJobStore {
  private readonly db: Db;
  private readonly q;

  constructor(db: Db) {
    this.db = db;
    this.q = {
      nextSeq: db.prepare("INSERT INTO counters (name, value) VALUES ('cron_job', 1) ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value"),
      insert: db.prepare("INSERT INTO cron_jobs (id, seq, doc, enabled, next_run_at) VALUES (?, ?, ?, ?, ?)"),
      get: db.prepare("SELECT * FROM cron_jobs WHERE id = ?"),
      list: db.prepare("SELECT * FROM cron_jobs ORDER BY seq"),
      remove: db.prepare("DELETE FROM cron_jobs WHERE id = ?"),
      removeRuns: db.prepare("DELETE FROM cron_runs WHERE job_id = ?"),
      update: db.prepare("UPDATE cron_jobs SET doc = ?, enabled = ?, next_run_at = ? WHERE id = ?"),
      due: db.prepare("SELECT * FROM cron_jobs WHERE enabled = 1 AND next_run_at IS NOT NULL AND next_run_at <= ? ORDER BY next_run_at, seq"),
      addRun: db.prepare("INSERT INTO cron_runs (job_id, at, status, error, output) VALUES (?, ?, ?, ?, ?)"),
      trimRuns: db.prepare("DELETE FROM cron_runs WHERE job_id = ?1 AND id NOT IN (SELECT id FROM cron_runs WHERE job_id = ?1 ORDER BY id DESC LIMIT ?2)"),
      runs: db.prepare("SELECT at, status, error, output FROM cron_runs WHERE job_id = ? ORDER BY id DESC LIMIT ?"),
    };
  }

  add(spec: NewCronJob): CronJob {
    return transaction(this.db, () => {
      const seq = (this.q.nextSeq.get() as { value: number }).value;
      const full: CronJob = { ...spec, id: `job${seq}`, enabled: true };
      this.q.insert.run(full.id, seq, JSON.stringify(full), 1, full.nextRunAt);
      return full;
    });
  }

  get(id: string): CronJob | undefined {
    const row = this.q.get.get(id) as Row | undefined;
    return row ? job(row) : undefined;
  }

  /** in the order they were added */
  list(): CronJob[] {
    return (this.q.list.all() as unknown as Row[]).map(job);
  }

  /** Removes the job and its run history. */
  remove(id: string): boolean {
    return transaction(this.db, () => {
      this.q.removeRuns.run(id);
      return Number(this.q.remove.run(id).changes) > 0;
    });
  }

  setEnabled(id: string, enabled: boolean, nextRunAt: number | null): void {
    this.patch(id, (j) => ({ ...j, enabled, nextRunAt }));
  }

  /** enabled jobs due at `now`, earliest first */
  due(now: number): CronJob[] {
    return (this.q.due.all(now) as unknown as Row[]).map(job);
  }

  setNextRun(id: string, nextRunAt: number | null, enabled: boolean): void {
    this.patch(id, (j) => ({ ...j, nextRunAt, enabled }));
  }

  /** Sets lastRunAt/lastStatus/lastError on the job and appends to its history (the last CRON_RUNS_KEPT stay). */
  markRun(id: string, run: RunRecord): void {
    transaction(this.db, () => {
      const found = this.patch(id, (j) => {
        const next: CronJob = { ...j, lastRunAt: run.at, lastStatus: run.status };
        if (run.error !== undefined) next.lastError = run.error;
        else delete next.lastError;
        return next;
      });
      if (!found) return;
      this.q.addRun.run(id, run.at, run.status, run.error ?? null, run.output ?? null);
      this.q.trimRuns.run(id, CRON_RUNS_KEPT);
    });
  }

  /** a job's recent runs, newest first */
  runs(id: string, limit = CRON_RUNS_KEPT): RunRecord[] {
    return (this.q.runs.all(id, limit) as unknown as RunRow[]).map((r) => ({
      at: r.at,
      status: r.status,
      ...(r.error !== null ? { error: r.error } : {}),
      ...(r.output !== null ? { output: r.output } : {}),
    }));
  }

  /** read-modify-write under the write lock, so the CLI and the daemon never lose each other's update */
  private patch(id: string, change: (j: CronJob) => CronJob): boolean {
    return transaction(this.db, () => {
      const current = this.get(id);
      if (!current) return false;
      const next = change(current);
      this.q.update.run(JSON.stringify(next), next.enabled ? 1 : 0, next.nextRunAt, id);
      return true;
    });
  }
}
