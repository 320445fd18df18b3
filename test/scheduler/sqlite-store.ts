// A CronJobStore on node:sqlite for restart tests: two instances opened on
// the same file behave like two lives of the daemon. (Stand-in until the
// project's store, src/store/cron.ts, is wired in.)
import { DatabaseSync } from "node:sqlite";
import type { CronJob, CronJobStore, NewCronJob, RunRecord } from "../../src/scheduler/types.ts";

interface Row {
  id: string;
  doc: string;
  enabled: number;
  next_run_at: number | null;
}

export class SqliteCronStore implements CronJobStore {
  private readonly db: DatabaseSync;
  constructor(file: string) {
    this.db = new DatabaseSync(file);
    this.db.exec(`CREATE TABLE IF NOT EXISTS cron_jobs (
      id TEXT PRIMARY KEY, doc TEXT NOT NULL, enabled INTEGER NOT NULL, next_run_at INTEGER)`);
  }
  close(): void {
    this.db.close();
  }
  private read(row: Row | undefined): CronJob | undefined {
    if (!row) return undefined;
    return { ...(JSON.parse(row.doc) as CronJob), id: row.id, enabled: row.enabled === 1, nextRunAt: row.next_run_at };
  }
  private write(job: CronJob): void {
    this.db
      .prepare("INSERT OR REPLACE INTO cron_jobs (id, doc, enabled, next_run_at) VALUES (?, ?, ?, ?)")
      .run(job.id, JSON.stringify(job), job.enabled ? 1 : 0, job.nextRunAt);
  }
  add(job: NewCronJob): CronJob {
    const count = (this.db.prepare("SELECT count(*) AS n FROM cron_jobs").get() as { n: number }).n;
    const full: CronJob = { ...job, id: `job${count + 1}`, enabled: true };
    this.write(full);
    return full;
  }
  get(id: string): CronJob | undefined {
    return this.read(this.db.prepare("SELECT * FROM cron_jobs WHERE id = ?").get(id) as Row | undefined);
  }
  list(): CronJob[] {
    return (this.db.prepare("SELECT * FROM cron_jobs ORDER BY id").all() as unknown as Row[]).map((r) => this.read(r)!);
  }
  remove(id: string): boolean {
    return this.db.prepare("DELETE FROM cron_jobs WHERE id = ?").run(id).changes > 0;
  }
  private patch(id: string, p: Partial<CronJob>): void {
    const job = this.get(id);
    if (job) this.write({ ...job, ...p });
  }
  setEnabled(id: string, enabled: boolean, nextRunAt: number | null): void {
    this.patch(id, { enabled, nextRunAt });
  }
  due(now: number): CronJob[] {
    const rows = this.db
      .prepare("SELECT * FROM cron_jobs WHERE enabled = 1 AND next_run_at IS NOT NULL AND next_run_at <= ? ORDER BY next_run_at")
      .all(now) as unknown as Row[];
    return rows.map((r) => this.read(r)!);
  }
  setNextRun(id: string, nextRunAt: number | null, enabled: boolean): void {
    this.patch(id, { nextRunAt, enabled });
  }
  markRun(id: string, run: RunRecord): void {
    this.patch(id, { lastRunAt: run.at, lastStatus: run.status, ...(run.error !== undefined ? { lastError: run.error } : { lastError: undefined }) });
  }
}
