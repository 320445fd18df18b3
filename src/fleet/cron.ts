// Cron fire-once across the fleet: every gateway runs the scheduler, and the
// one that inserts the (job, scheduled time) pair first fires it; the others
// see the conflict and skip. The scheduled time (not the moment a gateway
// noticed it) is the key, so members with different timer latencies agree on
// which run they are racing for.
import type pg from "pg";

/** fire records are kept this long (a week), then pruned */
export const CRON_FIRES_KEPT_MS = 7 * 24 * 3600_000;

/** True when this member won the right to fire `jobId`'s run scheduled at `scheduledAt` (epoch ms). */
export async function claimCronFire(db: pg.Pool | pg.PoolClient, jobId: string, scheduledAt: number, member: string): Promise<boolean> {
  if (!Number.isSafeInteger(scheduledAt)) throw new Error(`cron fire time must be an integer epoch ms, got ${scheduledAt}`);
  const r = await db.query("INSERT INTO fleet_cron_fires (job_id, scheduled_at, member) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [
    jobId,
    scheduledAt,
    member,
  ]);
  return (r.rowCount ?? 0) === 1;
}

/** Who fired a run, when known. */
export async function cronFiredBy(db: pg.Pool | pg.PoolClient, jobId: string, scheduledAt: number): Promise<string | undefined> {
  const r = await db.query<{ member: string }>("SELECT member FROM fleet_cron_fires WHERE job_id = $1 AND scheduled_at = $2", [jobId, scheduledAt]);
  return r.rows[0]?.member;
}

export async function pruneCronFires(db: pg.Pool | pg.PoolClient, olderThanMs = CRON_FIRES_KEPT_MS): Promise<number> {
  const r = await db.query("DELETE FROM fleet_cron_fires WHERE fired_at < now() - make_interval(secs => $1::double precision / 1000)", [olderThanMs]);
  return r.rowCount ?? 0;
}
