// Cron jobs for the scheduler. Ids come from a counter that never goes back,
// so a removed job's id is never reused by a later one.
import type { CronJob, CronJobStore, NewCronJob, RunRecord } from "../scheduler/types.ts";
import { transaction, type Db } from "./sqlite.ts";

interface Row {
  id: string;
  doc: string;
  enabled: number;
  next_run_at: number | null;
}

const KEEP_RUNS = 20;

export class SqliteCronStore implements CronJobStore {
  private readonly db: Db;
  private readonly q;

  constructor(db: Db) {
    this.db = db;
    this.q = {
      bump: db.prepare("INSERT INTO counters (name, value) VALUES ('cron_job', 1) ON CONFLICT(name) DO UPDATE SET value = value + 1 RETURNING value"),
      insert: db.prepare("INSERT INTO cron_jobs (id, seq, doc, enabled, next_run_at) VALUES (?, ?, ?, ?, ?)"),
      get: db.prepare("SELECT * FROM cron_jobs WHERE id = ?"),
      list: db.prepare("SELECT * FROM cron_jobs ORDER BY seq"),
      remove: db.prepare("DELETE FROM cron_jobs WHERE id = ?"),
      removeRuns: db.prepare("DELETE FROM cron_runs WHERE job_id = ?"),
      update: db.prepare("UPDATE cron_jobs SET doc = ?, enabled = ?, next_run_at = ? WHERE id = ?"),
      due: db.prepare("SELECT * FROM cron_jobs WHERE enabled = 1 AND next_run_at IS NOT NULL AND next_run_at <= ? ORDER BY next_run_at, seq"),
      addRun: db.prepare("INSERT INTO cron_runs (job_id, at, status, error, output) VALUES (?, ?, ?, ?, ?)"),
      trimRuns: db.prepare(
        "DELETE FROM cron_runs WHERE job_id = ? AND id NOT IN (SELECT id FROM cron_runs WHERE job_id = ? ORDER BY id DESC LIMIT ?)",
      ),
      runs: db.prepare("SELECT at, status, error, output FROM cron_runs WHERE job_id = ? ORDER BY id DESC LIMIT ?"),
    };
  }

  private read(row: Row | undefined): CronJob | undefined {
    if (!row) return undefined;
    return { ...(JSON.parse(row.doc) as CronJob), id: row.id, enabled: row.enabled === 1, nextRunAt: row.next_run_at };
  }

  private write(job: CronJob): void {
    this.q.update.run(JSON.stringify(job), job.enabled ? 1 : 0, job.nextRunAt, job.id);
  }

  add(job: NewCronJob): CronJob {
    return transaction(this.db, () => {
      const seq = (this.q.bump.get() as { value: number }).value;
      const full: CronJob = { ...job, id: `job${seq}`, enabled: true };
      this.q.insert.run(full.id, seq, JSON.stringify(full), 1, full.nextRunAt);
      return full;
    });
  }

  get(id: string): CronJob | undefined {
    return this.read(this.q.get.get(id) as Row | undefined);
  }

  list(): CronJob[] {
    return (this.q.list.all() as unknown as Row[]).map((r) => this.read(r)!);
  }

  remove(id: string): boolean {
    return transaction(this.db, () => {
      this.q.removeRuns.run(id);
      return this.q.remove.run(id).changes > 0;
    });
  }

  private patch(id: string, p: Partial<CronJob>): void {
    const job = this.get(id);
    if (job) this.write({ ...job, ...p });
  }

  setEnabled(id: string, enabled: boolean, nextRunAt: number | null): void {
    this.patch(id, { enabled, nextRunAt });
  }

  due(now: number): CronJob[] {
    return (this.q.due.all(now) as unknown as Row[]).map((r) => this.read(r)!);
  }

  setNextRun(id: string, nextRunAt: number | null, enabled: boolean): void {
    this.patch(id, { nextRunAt, enabled });
  }

  markRun(id: string, run: RunRecord): void {
    transaction(this.db, () => {
      const job = this.get(id);
      if (!job) return;
      const next: CronJob = { ...job, lastRunAt: run.at, lastStatus: run.status };
      if (run.error !== undefined) next.lastError = run.error;
      else delete next.lastError;
      this.write(next);
      this.q.addRun.run(id, run.at, run.status, run.error ?? null, run.output ?? null);
      this.q.trimRuns.run(id, id, KEEP_RUNS);
    });
  }

  runs(id: string, limit = KEEP_RUNS): RunRecord[] {
    return (this.q.runs.all(id, limit) as { at: number; status: RunRecord["status"]; error: string | null; output: string | null }[]).map((r) => ({
      at: r.at,
      status: r.status,
      ...(r.error !== null ? { error: r.error } : {}),
      ...(r.output !== null ? { output: r.output } : {}),
    }));
  }
}
