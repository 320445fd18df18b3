// The fleet's tables and their forward-only migrations. Version rows live in
// fleet_schema, apart from the store's own migrations, so the two halves
// migrate independently on the same database. Every table is prefixed
// fleet_ (coordination) or router_ (the provider router's shared state).
//
// Concurrent gateways starting together migrate once: the whole run holds a
// transaction-level advisory lock, and each step commits with its version row.
import type pg from "pg";
import { installOutboxNotify } from "./outbox-notify.ts";

/** key of the advisory lock that serializes migrations (any fixed 64-bit number) */
const MIGRATION_LOCK = 0x5eb0a2d_f1ee7n;

export const FLEET_MIGRATIONS: readonly string[] = [
  // 1: members, channel leases, session claims, cron fires, router counters and health
  `CREATE TABLE fleet_members (
     id text PRIMARY KEY,
     host text NOT NULL,
     pid integer NOT NULL,
     started_at timestamptz NOT NULL DEFAULT now(),
     heartbeat_at timestamptz NOT NULL DEFAULT now()
   );
   CREATE TABLE fleet_leases (
     resource text PRIMARY KEY,
     owner text NOT NULL,
     epoch bigint NOT NULL,
     acquired_at timestamptz NOT NULL,
     renewed_at timestamptz NOT NULL,
     expires_at timestamptz NOT NULL
   );
   CREATE SEQUENCE fleet_claim_token;
   CREATE TABLE fleet_session_claims (
     session_key text PRIMARY KEY,
     member text NOT NULL,
     token bigint NOT NULL,
     claimed_at timestamptz NOT NULL DEFAULT now()
   );
   CREATE INDEX fleet_session_claims_member ON fleet_session_claims (member);
   CREATE TABLE fleet_cron_fires (
     job_id text NOT NULL,
     scheduled_at bigint NOT NULL,
     member text NOT NULL,
     fired_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (job_id, scheduled_at)
   );
   CREATE TABLE router_rr (grp text PRIMARY KEY, n bigint NOT NULL);
   CREATE TABLE router_rpm (id bigserial PRIMARY KEY, entry text NOT NULL, at bigint NOT NULL);
   CREATE INDEX router_rpm_entry_at ON router_rpm (entry, at);
   CREATE SEQUENCE router_targets_rev;
   CREATE TABLE router_targets (
     key text PRIMARY KEY,
     state jsonb NOT NULL,
     writer text NOT NULL,
     rev bigint NOT NULL DEFAULT nextval('router_targets_rev')
   );
   CREATE INDEX router_targets_rev_idx ON router_targets (rev);`,
];

/** Brings the fleet tables to the newest version; returns the versions applied now. */
export async function migrateFleet(pool: pg.Pool): Promise<number[]> {
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK.toString()]);
    await client.query("CREATE TABLE IF NOT EXISTS fleet_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
    const { rows } = await client.query<{ v: number | null }>("SELECT max(version) AS v FROM fleet_schema");
    const current = rows[0]?.v ?? 0;
    if (current > FLEET_MIGRATIONS.length) {
      throw new Error(`the database's fleet tables are at version ${current}, newer than this Switchboard knows (${FLEET_MIGRATIONS.length}): upgrade this gateway to the fleet's version`);
    }
    for (let v = current + 1; v <= FLEET_MIGRATIONS.length; v++) {
      await client.query(FLEET_MIGRATIONS[v - 1]!);
      await client.query("INSERT INTO fleet_schema (version) VALUES ($1)", [v]);
      applied.push(v);
    }
    // not a numbered step: the store's outbox may be created after the fleet's tables
    await installOutboxNotify(client);
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
  return applied;
}
