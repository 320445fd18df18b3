// Cron jobs on PostgreSQL, with SQLite's semantics (../cron.ts): ids from a
// counter that only goes up, updates as read-modify-write of the job row
// under FOR UPDATE (the CLI and every gateway never lose each other's
// change), the last CRON_RUNS_KEPT runs of each job kept. Firing a job once
// across a fleet is coordination, not storage: that is src/fleet's.
import type { CronJob, NewCronJob, RunRecord, RunStatus } from "../../scheduler/types.ts";
import type { AsyncCronStore } from "../backend.ts";
import { CRON_RUNS_KEPT } from "../cron.ts";
import type { Sql } from "./sql.ts";

interface Row {
  id: string;
  doc: string;
  enabled: boolean;
  next_run_at: number | null;
}

function job(row: Row): CronJob {
  return { ...(JSON.parse(row.doc) as CronJob), id: row.id, enabled: row.enabled, nextRunAt: row.next_run_at };
}

export class PgCronStore implements AsyncCronStore {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  add(spec: NewCronJob): Promise<CronJob> {
    return this.sql.tx(async (sql) => {
      const next = await sql.query<{ value: number }>(
        "INSERT INTO counters (name, value) VALUES ('cron_job', 1) ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value",
      );
      const seq = next.rows[0]!.value;
      const full: CronJob = { ...spec, id: `job${seq}`, enabled: true };
      await sql.query("INSERT INTO cron_jobs (id, seq, doc, enabled, next_run_at) VALUES ($1, $2, $3, true, $4)", [full.id, seq, JSON.stringify(full), full.nextRunAt]);
      return full;
    });
  }

  async get(id: string): Promise<CronJob | undefined> {
    const { rows } = await this.sql.query<Row>("SELECT id, doc, enabled, next_run_at FROM cron_jobs WHERE id = $1", [id]);
    return rows[0] ? job(rows[0]) : undefined;
  }

  /** in the order they were added */
  async list(): Promise<CronJob[]> {
    return (await this.sql.query<Row>("SELECT id, doc, enabled, next_run_at FROM cron_jobs ORDER BY seq")).rows.map(job);
  }

  /** Removes the job and its run history. */
  remove(id: string): Promise<boolean> {
    return this.sql.tx(async (sql) => {
      await sql.query("DELETE FROM cron_runs WHERE job_id = $1", [id]);
      return ((await sql.query("DELETE FROM cron_jobs WHERE id = $1", [id])).rowCount ?? 0) > 0;
    });
  }

  async setEnabled(id: string, enabled: boolean, nextRunAt: number | null): Promise<void> {
    await this.patch(this.sql, id, (j) => ({ ...j, enabled, nextRunAt }));
  }

  /** enabled jobs due at `now`, earliest first */
  async due(now: number): Promise<CronJob[]> {
    const { rows } = await this.sql.query<Row>("SELECT id, doc, enabled, next_run_at FROM cron_jobs WHERE enabled AND next_run_at IS NOT NULL AND next_run_at <= $1 ORDER BY next_run_at, seq", [now]);
    return rows.map(job);
  }

  async setNextRun(id: string, nextRunAt: number | null, enabled: boolean): Promise<void> {
    await this.patch(this.sql, id, (j) => ({ ...j, nextRunAt, enabled }));
  }

  /** Sets lastRunAt/lastStatus/lastError on the job and appends to its history (the last CRON_RUNS_KEPT stay). */
  markRun(id: string, run: RunRecord): Promise<void> {
    return this.sql.tx(async (sql) => {
      const found = await this.patch(sql, id, (j) => {
        const next: CronJob = { ...j, lastRunAt: run.at, lastStatus: run.status };
        if (run.error !== undefined) next.lastError = run.error;
        else delete next.lastError;
        return next;
      });
      if (!found) return;
      await sql.query("INSERT INTO cron_runs (job_id, at, status, error, output) VALUES ($1, $2, $3, $4, $5)", [id, run.at, run.status, run.error ?? null, run.output ?? null]);
      await sql.query("DELETE FROM cron_runs WHERE job_id = $1 AND id NOT IN (SELECT id FROM cron_runs WHERE job_id = $1 ORDER BY id DESC LIMIT $2)", [id, CRON_RUNS_KEPT]);
    });
  }

  /** a job's recent runs, newest first */
  async runs(id: string, limit = CRON_RUNS_KEPT): Promise<RunRecord[]> {
    const { rows } = await this.sql.query<{ at: number; status: RunStatus; error: string | null; output: string | null }>(
      "SELECT at, status, error, output FROM cron_runs WHERE job_id = $1 ORDER BY id DESC LIMIT $2",
      [id, limit],
    );
    return rows.map((r) => ({ at: r.at, status: r.status, ...(r.error !== null ? { error: r.error } : {}), ...(r.output !== null ? { output: r.output } : {}) }));
  }

  /** read-modify-write with the row locked */
  private patch(on: Sql, id: string, change: (j: CronJob) => CronJob): Promise<boolean> {
    return on.tx(async (sql) => {
      const { rows } = await sql.query<Row>("SELECT id, doc, enabled, next_run_at FROM cron_jobs WHERE id = $1 FOR UPDATE", [id]);
      if (!rows[0]) return false;
      const next = change(job(rows[0]));
      await sql.query("UPDATE cron_jobs SET doc = $1, enabled = $2, next_run_at = $3 WHERE id = $4", [JSON.stringify(next), next.enabled, next.nextRunAt, id]);
      return true;
    });
  }
}
