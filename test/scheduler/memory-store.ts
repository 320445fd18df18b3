// An in-memory CronJobStore for tests of the scheduler's logic. Two service
// instances sharing one of these behave like two processes sharing a database.
import type { CronJob, CronJobStore, NewCronJob, RunRecord } from "../../src/scheduler/types.ts";

export class MemoryCronStore implements CronJobStore {
  readonly jobs = new Map<string, CronJob>();
  readonly runs: { id: string; run: RunRecord }[] = [];
  private seq = 0;

  add(job: NewCronJob): CronJob {
    const full: CronJob = { ...job, id: `job${++this.seq}`, enabled: true };
    this.jobs.set(full.id, full);
    return { ...full };
  }
  get(id: string): CronJob | undefined {
    const j = this.jobs.get(id);
    return j ? { ...j } : undefined;
  }
  list(): CronJob[] {
    return [...this.jobs.values()].map((j) => ({ ...j }));
  }
  remove(id: string): boolean {
    return this.jobs.delete(id);
  }
  setEnabled(id: string, enabled: boolean, nextRunAt: number | null): void {
    const j = this.jobs.get(id);
    if (j) Object.assign(j, { enabled, nextRunAt });
  }
  due(now: number): CronJob[] {
    return this.list()
      .filter((j) => j.enabled && j.nextRunAt !== null && j.nextRunAt <= now)
      .sort((a, b) => (a.nextRunAt ?? 0) - (b.nextRunAt ?? 0));
  }
  setNextRun(id: string, nextRunAt: number | null, enabled: boolean): void {
    const j = this.jobs.get(id);
    if (j) Object.assign(j, { nextRunAt, enabled });
  }
  markRun(id: string, run: RunRecord): void {
    this.runs.push({ id, run });
    const j = this.jobs.get(id);
    if (!j) return;
    j.lastRunAt = run.at;
    j.lastStatus = run.status;
    if (run.error !== undefined) j.lastError = run.error;
    else delete j.lastError;
  }
}
