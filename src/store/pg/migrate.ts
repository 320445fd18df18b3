// Forward-only migrations for PostgreSQL, keyed by the one row of
// schema_version. Several gateways may start at once against one database:
// a session advisory lock makes them migrate one after another, and each
// migration commits together with its version bump, so a crash mid-way
// leaves the previous version intact.
import type pg from "pg";
import { SwitchboardError } from "../../core/errors.ts";
import { PG_MIGRATIONS } from "./schema.ts";
import { classify, connect } from "./sql.ts";

/** The schema version this build writes; a database above it is refused. */
export const PG_SCHEMA_VERSION = PG_MIGRATIONS.length;

/** An arbitrary constant naming Switchboard's migration lock among the database's advisory locks. */
const MIGRATION_LOCK = 7_277_345_112_001;

/** The version the database is at; undefined when Switchboard never wrote to it. */
export async function schemaVersion(q: pg.Pool | pg.PoolClient): Promise<number | undefined> {
  const exists = await q.query<{ t: string | null }>("SELECT to_regclass('schema_version')::text AS t");
  if (!exists.rows[0]?.t) return undefined;
  const row = await q.query<{ version: number }>("SELECT version FROM schema_version LIMIT 1");
  return row.rows[0]?.version ?? 0;
}

/** Brings the database to PG_SCHEMA_VERSION. Throws SwitchboardError("store") for a database written by a newer Switchboard. */
export async function migratePg(pool: pg.Pool, location: string): Promise<void> {
  const held = await connect(pool);
  const { client } = held;
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    try {
      await client.query("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
      await client.query("INSERT INTO schema_version (version) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM schema_version)");
      const found = (await schemaVersion(client)) ?? 0;
      if (found > PG_SCHEMA_VERSION) throw newerSchema(location, found);
      for (let v = found; v < PG_SCHEMA_VERSION; v++) {
        await client.query("BEGIN");
        try {
          await client.query(PG_MIGRATIONS[v]!);
          await client.query("UPDATE schema_version SET version = $1", [v + 1]);
          await client.query("COMMIT");
        } catch (err) {
          await client.query("ROLLBACK").catch(() => undefined);
          throw err;
        }
      }
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => undefined);
    }
  } catch (err) {
    throw classify(err);
  } finally {
    held.release();
  }
}

function newerSchema(location: string, found: number): SwitchboardError {
  return new SwitchboardError(
    "store",
    `the database ${location} was written by a newer Switchboard (schema version ${found}; this version knows up to ${PG_SCHEMA_VERSION}). Upgrade Switchboard on every gateway that shares it, or point store.url at another database`,
  );
}
