// The PostgreSQL backend: one pg.Pool, migrated on open, with every store
// bound to it (or, inside `transaction`, to one connection). A server that
// goes away is a storage fault (health.ts "unreachable"): queries reject,
// the gateway keeps turns pending and probes until the server answers.
import pg from "pg";
import { SwitchboardError, errorMessage } from "../../core/errors.ts";
import { redactUrl, registerSecrets } from "../../core/redact.ts";
import type { StoreBackend, StoreSet } from "../backend.ts";
import { StoreHealth, storeFault } from "../health.ts";
import { SessionWrites } from "../session-writes.ts";
import { PgCronStore } from "./cron.ts";
import { PgCursorStore } from "./cursors.ts";
import { PgDeliveryStore } from "./delivery.ts";
import { PgToolJournal } from "./journal.ts";
import { PgKvStore } from "./kv.ts";
import { migratePg } from "./migrate.ts";
import { PgPairingStore } from "./pairing.ts";
import { PgSessionStore } from "./sessions.ts";
import { poolSql, type Sql } from "./sql.ts";

export interface PgBackend extends StoreBackend {
  readonly kind: "postgres";
  /** the pool, for tests and maintenance (store copy); stores keep to their own queries */
  readonly pool: pg.Pool;
}

export interface PgOptions {
  /** connections in the pool; default 10 */
  max?: number;
  /** first wait before probing a faulted store; default 2 s */
  probeEveryMs?: number;
  /** how long to wait for a connection before the store counts as unreachable; default 10 s */
  connectTimeoutMs?: number;
}

/** BIGINT (epoch ms, ids, counts) as numbers: every value the stores keep fits in 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

/** true for a postgres:// or postgresql:// URL */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url.trim());
}

function stores(sql: Sql, writes: SessionWrites): StoreSet {
  return {
    sessions: new PgSessionStore(sql, writes),
    delivery: new PgDeliveryStore(sql),
    pairing: new PgPairingStore(sql),
    cron: new PgCronStore(sql),
    kv: new PgKvStore(sql),
    journal: new PgToolJournal(sql),
    cursors: new PgCursorStore(sql),
  };
}

/** A pool on `url` with the stores' settings (numbers for BIGINT, a name in pg_stat_activity). */
export function createPool(url: string, opts: PgOptions = {}): pg.Pool {
  return new pg.Pool({ connectionString: url, max: opts.max ?? 10, connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000, application_name: "switchboard", types });
}

/**
 * Connects to `url`, creates or migrates the schema, and returns the store.
 * Throws SwitchboardError("store") when the server cannot be reached or the
 * database was written by a newer Switchboard; the URL's password never
 * appears in the message.
 */
export async function openPgStore(url: string, opts: PgOptions = {}): Promise<PgBackend> {
  if (!isPostgresUrl(url)) throw new SwitchboardError("store", `not a PostgreSQL URL: ${redactUrl(url)} (expected postgres://user:password@host:5432/database)`);
  try {
    registerSecrets([decodeURIComponent(new URL(url).password)]);
  } catch {
    // an unparsable URL: pg says what is wrong with it below
  }
  const location = redactUrl(url);
  const pool = createPool(url, opts);
  const health = new StoreHealth(opts.probeEveryMs !== undefined ? { probeEveryMs: opts.probeEveryMs } : {});
  // an idle connection the server drops must not take the process down
  pool.on("error", (err) => void health.failed(err));
  try {
    await migratePg(pool, location);
  } catch (err) {
    await pool.end().catch(() => undefined);
    if (err instanceof SwitchboardError) throw err;
    const why = errorMessage(err);
    const fix = storeFault(err) === "unreachable" ? "Check that PostgreSQL is running and store.url (or SWITCHBOARD_DATABASE_URL) points at it" : "Check the database, user and password in store.url";
    throw new SwitchboardError("store", `cannot use the database ${location}: ${redactUrl(why)}. ${fix}`, { cause: err });
  }
  const sql = poolSql(pool);
  const writes = new SessionWrites();
  const filler = JSON.stringify("x".repeat(8192));
  let open = true;
  const probe = async () => {
    await sql.tx(async (tx) => {
      await tx.query("INSERT INTO kv (key, value, updated_at) VALUES ('store_probe', $1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [filler, Date.now()]);
      await tx.query("DELETE FROM kv WHERE key = 'store_probe'");
    });
  };
  health.setProbe(probe);
  return {
    kind: "postgres",
    location,
    pool,
    health,
    ...stores(sql, writes),
    transaction: (fn) => sql.tx((tx) => fn(stores(tx, writes))),
    probe,
    onSessionWrite: (listener) => writes.listen(listener),
    async close() {
      if (!open) return;
      open = false;
      health.stop();
      await pool.end();
    },
  };
}
