// `switchboard doctor`'s store checks, for the store the gateways use
// (store.url / SWITCHBOARD_DATABASE_URL, else the SQLite file). SQLite: the
// file opens and what waits in it. PostgreSQL, one check each with its fix:
// the server answers and lets this user in; the store's schema is at this
// Switchboard's version (older: the next gateway start or --fix migrates it;
// newer: upgrade); the fleet's tables (members, leases, claims, router state)
// are there. Doctor reads before it writes: only --fix migrates.
import { SwitchboardError } from "../core/errors.ts";
import { FLEET_MIGRATIONS, migrateFleet } from "../fleet/schema.ts";
import { fleetStatus } from "../fleet/status.ts";
import type { StoreLocation } from "../store/location.ts";
import { PgDeliveryStore } from "../store/pg/delivery.ts";
import { createPool } from "../store/pg/index.ts";
import { migratePg, PG_SCHEMA_VERSION, schemaVersion } from "../store/pg/migrate.ts";
import { poolSql } from "../store/pg/sql.ts";
import type { Check } from "./doctor.ts";
import { CLI_CONNECT_TIMEOUT_MS, openCommandStore, shownLocation, storeProblem } from "./store-open.ts";

type Pool = ReturnType<typeof createPool>;

/** queue counts as a check: dead letters are a warning pointing at `status` */
function queueCheck(where: string, counts: { inboundPending: number; outboundPending: number; dead: number }): Check {
  return {
    id: "store",
    level: counts.dead ? "warn" : "ok",
    what: `store ${where}: ${counts.inboundPending} inbound pending, ${counts.outboundPending} outbound pending, ${counts.dead} dead`,
    ...(counts.dead ? { fix: "see `switchboard status` for the dead messages" } : {}),
  };
}

async function sqliteChecks(checks: Check[], location: Extract<StoreLocation, { kind: "sqlite" }>): Promise<void> {
  try {
    const store = await openCommandStore(location);
    try {
      checks.push(queueCheck(location.file, await store.delivery.counts()));
    } finally {
      await store.close();
    }
  } catch (err) {
    const p = storeProblem(location, err instanceof SwitchboardError && err.cause ? err.cause : err);
    checks.push({ id: "store", level: "fail", what: p.what, fix: p.fix });
  }
}

/** The store's schema: none yet and older are warnings (--fix migrates), newer is a failure. Returns whether it is current now. */
async function schemaCheck(checks: Check[], pool: Pool, where: string, fix: boolean): Promise<boolean> {
  const found = await schemaVersion(pool);
  if (found === PG_SCHEMA_VERSION) {
    checks.push({ id: "store:schema", level: "ok", what: `store schema at version ${found} (current)` });
    return true;
  }
  if (found !== undefined && found > PG_SCHEMA_VERSION) {
    checks.push({ id: "store:schema", level: "fail", what: `store schema at version ${found}, written by a newer Switchboard (this one knows up to ${PG_SCHEMA_VERSION})`, fix: "upgrade Switchboard on this machine to the version the other gateways run" });
    return false;
  }
  const check: Check = {
    id: "store:schema",
    level: "warn",
    what: found === undefined ? `${where} holds no Switchboard schema yet` : `store schema at version ${found}; this Switchboard uses ${PG_SCHEMA_VERSION}`,
    fix: found === undefined ? "the first gateway start creates it (`switchboard store copy` fills it from a SQLite state), or `switchboard doctor --fix` now" : "the next gateway start migrates it, or `switchboard doctor --fix` now",
  };
  if (fix) {
    await migratePg(pool, where);
    check.level = "ok";
    check.fixed = `migrated the store schema to version ${PG_SCHEMA_VERSION}`;
  }
  checks.push(check);
  return check.level === "ok";
}

/** Tables the fleet's migrations create, read from them so the list cannot drift. */
const FLEET_TABLES = FLEET_MIGRATIONS.flatMap((m) => [...m.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(\w+)/gi)].map((x) => x[1]!));

async function fleetCheck(checks: Check[], pool: Pool, fix: boolean): Promise<void> {
  const has = await pool.query<{ t: string; ok: boolean }>("SELECT t, to_regclass(t) IS NOT NULL AS ok FROM unnest($1::text[]) AS t", [["fleet_schema", ...FLEET_TABLES]]);
  const missing = has.rows.filter((r) => !r.ok).map((r) => r.t);
  const version = missing.includes("fleet_schema") ? 0 : Number((await pool.query<{ v: number | null }>("SELECT max(version) AS v FROM fleet_schema")).rows[0]?.v ?? 0);
  if (version > FLEET_MIGRATIONS.length) {
    checks.push({ id: "store:fleet", level: "fail", what: `fleet tables at version ${version}, written by a newer Switchboard (this one knows up to ${FLEET_MIGRATIONS.length})`, fix: "upgrade Switchboard on this machine to the version the other gateways run" });
    return;
  }
  if (version === FLEET_MIGRATIONS.length && missing.length > 0) {
    checks.push({ id: "store:fleet", level: "fail", what: `fleet tables at version ${version}, but ${missing.join(", ")} are missing`, fix: "restore them from a backup (pg_restore), or DROP TABLE fleet_schema and run `switchboard doctor --fix` to create them empty" });
    return;
  }
  if (version < FLEET_MIGRATIONS.length) {
    const check: Check = {
      id: "store:fleet",
      level: "warn",
      what: version === 0 ? "no fleet tables yet (members, channel leases, session claims, shared router state)" : `fleet tables at version ${version}; this Switchboard uses ${FLEET_MIGRATIONS.length}`,
      fix: "the first gateway that starts on this database creates them, or `switchboard doctor --fix` now",
    };
    if (fix) {
      await migrateFleet(pool);
      check.level = "ok";
      check.fixed = `created the fleet tables (version ${FLEET_MIGRATIONS.length})`;
    }
    checks.push(check);
    return;
  }
  const fleet = await fleetStatus(pool);
  const alive = fleet.members.filter((m) => m.alive).length;
  const owned = fleet.channels.filter((c) => c.owner).length;
  checks.push({ id: "store:fleet", level: "ok", what: `fleet tables present (version ${version}): ${alive} of ${fleet.members.length} member(s) alive, ${owned} of ${fleet.channels.length} channel account(s) owned` });
}

async function pgChecks(checks: Check[], location: Extract<StoreLocation, { kind: "postgres" }>, fix: boolean): Promise<void> {
  const where = shownLocation(location);
  const pool = createPool(location.url, { max: 1, connectTimeoutMs: CLI_CONNECT_TIMEOUT_MS });
  pool.on("error", () => undefined); // a connection dropped while idle: the next query says so
  let stage = "store:server";
  try {
    const v = await pool.query<{ v: string }>("SELECT current_setting('server_version') AS v");
    checks.push({ id: "store:server", level: "ok", what: `PostgreSQL ${v.rows[0]!.v} at ${where} answers and lets this user in` });
    stage = "store:schema";
    const current = await schemaCheck(checks, pool, where, fix);
    if (current) checks.push(queueCheck(where, await new PgDeliveryStore(poolSql(pool)).counts()));
    stage = "store:fleet";
    await fleetCheck(checks, pool, fix);
  } catch (err) {
    const p = storeProblem(location, err);
    checks.push({ id: stage, level: "fail", what: p.what, fix: p.fix });
  } finally {
    await pool.end().catch(() => undefined);
  }
}

/** The store checks for `location`; --fix migrates a PostgreSQL schema and creates the fleet tables. */
export async function storeChecks(checks: Check[], location: StoreLocation, fix: boolean): Promise<void> {
  if (location.kind === "sqlite") await sqliteChecks(checks, location);
  else await pgChecks(checks, location, fix);
}
