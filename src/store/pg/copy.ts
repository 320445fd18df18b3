// `switchboard store copy`: a SQLite state moved into PostgreSQL whole, in
// one PostgreSQL transaction — every row of every store table with its id,
// and each id sequence moved past the highest id SQLite ever handed out, so
// a message, chunk or run id is never given twice. The SQLite side is read
// in one read transaction (a consistent snapshot even while a gateway
// writes). A target that already holds data is refused: merging two states
// would break the ids and the dedupe keys. The caller may add its own rows to
// the same transaction (`also`: the CLI copies the router's state that way),
// so the copy is still all or nothing.
import type pg from "pg";
import { SwitchboardError } from "../../core/errors.ts";
import type { Db } from "../db.ts";
import { migratePg, schemaVersion } from "./migrate.ts";
import { PG_IDENTITY_TABLES, PG_TABLES, type PgTable } from "./schema.ts";
import { classify, connect } from "./sql.ts";

export type CopyCounts = Record<PgTable, number>;

/** PostgreSQL takes at most 65535 parameters per statement. */
const MAX_PARAMS = 60_000;
const MAX_ROWS = 1000;

/** SQLite's rows as the PostgreSQL columns want them (pairing_requests' insertion order is its rowid). */
function sourceQuery(table: PgTable): string {
  return table === "pairing_requests" ? "SELECT rowid AS id, * FROM pairing_requests ORDER BY rowid" : `SELECT * FROM ${table}`;
}

async function insertBatch(client: pg.PoolClient, table: PgTable, columns: string[], rows: Record<string, unknown>[]): Promise<void> {
  const values: unknown[] = [];
  const tuples = rows.map((row) => `(${columns.map((c) => `$${values.push(row[c] ?? null)}`).join(", ")})`);
  await client.query(`INSERT INTO ${table} (${columns.join(", ")}) VALUES ${tuples.join(", ")}`, values);
}

async function copyTable(src: Db, client: pg.PoolClient, table: PgTable): Promise<number> {
  let columns: string[] | undefined;
  let batch: Record<string, unknown>[] = [];
  let rowsPerBatch = MAX_ROWS;
  let count = 0;
  for (const row of src.prepare(sourceQuery(table)).iterate() as Iterable<Record<string, unknown>>) {
    if (!columns) {
      columns = Object.keys(row);
      rowsPerBatch = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMS / columns.length)));
    }
    batch.push(row);
    count++;
    if (batch.length >= rowsPerBatch) {
      await insertBatch(client, table, columns, batch);
      batch = [];
    }
  }
  if (columns && batch.length > 0) await insertBatch(client, table, columns, batch);
  return count;
}

/** The highest id SQLite handed out per AUTOINCREMENT table, deleted rows included. */
function sqliteSequences(src: Db): Map<string, number> {
  const rows = src.prepare("SELECT name, seq FROM sqlite_sequence").all() as { name: string; seq: number }[];
  return new Map(rows.map((r) => [r.name, Number(r.seq)]));
}

/** Refuses a target whose store tables hold any row; names them. */
async function requireEmpty(client: pg.PoolClient, location: string): Promise<void> {
  const counts = await client.query<{ t: string; n: number }>(PG_TABLES.map((t) => `SELECT '${t}' AS t, (SELECT count(*) FROM ${t})::int AS n`).join(" UNION ALL "));
  const full = counts.rows.filter((r) => r.n > 0);
  if (full.length > 0) {
    throw new SwitchboardError(
      "store",
      `${location} already holds Switchboard data (${full.map((r) => `${r.t}: ${r.n}`).join(", ")}); store copy only fills an empty database. Copy into a new database (CREATE DATABASE …), or drop this one's tables if you are sure the data is not needed`,
    );
  }
}

/**
 * Copies every store table of the SQLite database `src` into the PostgreSQL
 * database behind `pool`. Without `force` the target must not have been
 * used by Switchboard at all; with it, an already-migrated database is
 * accepted as long as it holds no rows. `also` runs on the copy's connection
 * just before the commit. Returns the rows copied per table.
 */
export async function copySqliteToPg(
  src: Db,
  pool: pg.Pool,
  location: string,
  opts: { force?: boolean; also?: (client: pg.PoolClient) => Promise<void> } = {},
): Promise<CopyCounts> {
  const first = await connect(pool);
  try {
    const found = await schemaVersion(first.client);
    if (found !== undefined && !opts.force) {
      throw new SwitchboardError(
        "store",
        `${location} already holds a Switchboard schema (version ${found}); to copy into it anyway (it must still be empty), pass --force`,
      );
    }
  } finally {
    first.release();
  }
  await migratePg(pool, location);
  const held = await connect(pool);
  const { client } = held;
  src.exec("BEGIN"); // one snapshot of the source, however long the copy takes
  try {
    await client.query("BEGIN");
    // no gateway writes between the emptiness check and the commit
    await client.query(`LOCK TABLE ${PG_TABLES.join(", ")} IN ACCESS EXCLUSIVE MODE`);
    await requireEmpty(client, location);
    const counts = {} as CopyCounts;
    for (const table of PG_TABLES) counts[table] = await copyTable(src, client, table);
    const sequences = sqliteSequences(src);
    for (const table of PG_IDENTITY_TABLES) {
      const used = sequences.get(table) ?? 0;
      // the next id is one past the highest SQLite ever gave (or 1 for a table never written)
      await client.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), greatest($1::bigint, (SELECT coalesce(max(id), 0) FROM ${table}), 1), greatest($1::bigint, (SELECT coalesce(max(id), 0) FROM ${table})) > 0)`, [used]);
    }
    if (opts.also) await opts.also(client);
    await client.query("COMMIT");
    return counts;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err instanceof SwitchboardError ? err : classify(err);
  } finally {
    held.release();
    if (src.isTransaction) src.exec("ROLLBACK");
  }
}
