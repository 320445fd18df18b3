// The router's state, copied by `switchboard store copy` from a state
// directory into the PostgreSQL tables a fleet shares (src/fleet/schema.ts):
// cooldowns, error counts and last errors per target (state/router.json →
// router_targets), round-robin positions (state/router.db rr → router_rr)
// and the rpm windows of the last minute (router.db rpm → router_rpm; older
// stamps no longer count against any limit).
//
// Re-running it changes nothing twice: a position only moves forward, a
// stamp already there is not added again, and a target's record replaces
// only one an earlier copy wrote — never one a gateway wrote, which is newer.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type pg from "pg";
import { readRouterState, type PersistedTarget } from "../providers/router/state-store.ts";

/** who wrote a router_targets row: rows with this writer may be replaced by the next copy */
export const COPY_WRITER = "switchboard-store-copy";
/** the rpm window: stamps older than this are never asked for (providers/router/shared-counters.ts) */
const RPM_WINDOW_MS = 60_000;

export interface RouterSource {
  /** cooldowns and last errors (JSON) */
  stateFile: string;
  /** round-robin positions and rpm stamps (SQLite) */
  countersFile: string;
}

/** The router files in a state directory's state/ folder (router.json and router.db), as the gateway keeps them. */
export function routerSourceIn(stateDir: string): RouterSource {
  return { stateFile: join(stateDir, "router.json"), countersFile: join(stateDir, "router.db") };
}

/** The router files beside a database file: <its directory>/state/, where a copied state directory has them. */
export function routerSourceBeside(dbFile: string): RouterSource {
  return routerSourceIn(join(dirname(dbFile), "state"));
}

export interface RouterRows {
  targets: PersistedTarget[];
  rr: { grp: string; n: number }[];
  rpm: { entry: string; at: number }[];
}

export type RouterCounts = { router_targets: number; router_rr: number; router_rpm: number };

function readCounters(file: string, since: number): Pick<RouterRows, "rr" | "rpm"> {
  if (!existsSync(file)) return { rr: [], rpm: [] };
  const db = new DatabaseSync(file, { readOnly: true, timeout: 2000 });
  try {
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name));
    const rr = tables.has("rr") ? (db.prepare("SELECT grp, n FROM rr ORDER BY grp").all() as { grp: string; n: number }[]) : [];
    const rpm = tables.has("rpm") ? (db.prepare("SELECT entry, at FROM rpm WHERE at > ? ORDER BY entry, at").all(since) as { entry: string; at: number }[]) : [];
    return { rr: rr.map((r) => ({ grp: r.grp, n: Number(r.n) })), rpm: rpm.map((r) => ({ entry: r.entry, at: Number(r.at) })) };
  } finally {
    db.close();
  }
}

/** What the state directory holds; missing files are no rows (a gateway that never routed). */
export function readRouterSource(src: RouterSource, now = Date.now()): RouterRows {
  return { targets: readRouterState(src.stateFile)?.targets ?? [], ...readCounters(src.countersFile, now - RPM_WINDOW_MS) };
}

/** Writes `rows` on `client` (inside the caller's transaction); returns the rows each table gained or changed. */
export async function writeRouterRows(client: pg.PoolClient, rows: RouterRows): Promise<RouterCounts> {
  const targets = await client.query(
    `INSERT INTO router_targets AS r (key, state, writer)
       SELECT key, state, $3 FROM unnest($1::text[], $2::jsonb[]) AS s(key, state)
     ON CONFLICT (key) DO UPDATE SET state = EXCLUDED.state, rev = nextval('router_targets_rev')
       WHERE r.writer = $3 AND r.state IS DISTINCT FROM EXCLUDED.state
     RETURNING key`,
    [rows.targets.map((t) => t.key), rows.targets.map(({ key: _key, ...state }) => JSON.stringify(state)), COPY_WRITER],
  );
  const rr = await client.query(
    `INSERT INTO router_rr AS r (grp, n) SELECT * FROM unnest($1::text[], $2::bigint[])
     ON CONFLICT (grp) DO UPDATE SET n = EXCLUDED.n WHERE r.n < EXCLUDED.n
     RETURNING grp`,
    [rows.rr.map((r) => r.grp), rows.rr.map((r) => r.n)],
  );
  // a stamp is a call: two calls in the same millisecond are two stamps, so
  // each (entry, at) gets as many rows as the source has, minus those already there
  const rpm = await client.query(
    `WITH src AS (SELECT entry, at, count(*) AS c FROM unnest($1::text[], $2::bigint[]) AS s(entry, at) GROUP BY entry, at)
     INSERT INTO router_rpm (entry, at)
       SELECT src.entry, src.at FROM src
       CROSS JOIN LATERAL generate_series(1, src.c - (SELECT count(*) FROM router_rpm x WHERE x.entry = src.entry AND x.at = src.at))
     RETURNING id`,
    [rows.rpm.map((r) => r.entry), rows.rpm.map((r) => r.at)],
  );
  return { router_targets: targets.rowCount ?? 0, router_rr: rr.rowCount ?? 0, router_rpm: rpm.rowCount ?? 0 };
}
