// The one way the PostgreSQL stores reach the server: a query function and a
// transaction helper, bound either to the pool (each query on any free
// connection) or to one client inside a transaction (a nested transaction is
// a savepoint). Errors the driver raises without a SQLSTATE (a connection
// refused, lost or timed out) are tagged STORE_UNREACHABLE so health.ts
// counts them as a storage fault instead of a bug.
import pg from "pg";
import { redact } from "../../core/redact.ts";
import { UNREACHABLE_CODE } from "./faults.ts";
import { errorMessage } from "../../core/errors.ts";

/** What a query gives back: the rows (typed by the caller, who wrote the SELECT) and how many were touched. */
export interface Result<R> {
  rows: R[];
  rowCount: number | null;
}

export interface Sql {
  query<R = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<Result<R>>;
  /** `fn` in a transaction (a savepoint when already in one); a throw rolls its work back and is rethrown */
  tx<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
}

/** A connection-level failure: the server went away or never answered. */
export class StoreUnreachableError extends Error {
  readonly code = UNREACHABLE_CODE;
  constructor(cause: unknown) {
    super(`the database server cannot be reached: ${redact(errorMessage(cause))}`, { cause });
    this.name = "StoreUnreachableError";
  }
}

/** The error to rethrow: the server's own errors as they are, the driver's code-less ones tagged. */
export function classify(err: unknown): unknown {
  if (err instanceof pg.DatabaseError || err instanceof StoreUnreachableError) return err;
  if (err instanceof TypeError || err instanceof RangeError) return err; // our bug (a bad parameter), not the network
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code !== "") return err; // ECONNREFUSED and friends: health.ts knows them
  return new StoreUnreachableError(err);
}

async function run<R>(q: pg.Pool | pg.PoolClient, text: string, values?: readonly unknown[]): Promise<Result<R>> {
  try {
    const res = await q.query(text, values as unknown[] | undefined);
    return { rows: res.rows as R[], rowCount: res.rowCount };
  } catch (err) {
    throw classify(err);
  }
}

/** A connection taken from the pool until `release`; `lost` is set when the server ended it meanwhile. */
export interface Held {
  client: pg.PoolClient;
  readonly lost: Error | undefined;
  /** gives the connection back (or, when it broke, has the pool discard it) */
  release(broken?: Error): void;
}

/**
 * Takes a connection from the pool. While it is held, an error the server
 * sends between statements (a restart ends every connection) is caught
 * here: pg emits it as an 'error' event, and an event nobody listens to
 * would end the process. The next statement on it fails and says why.
 */
export async function connect(pool: pg.Pool): Promise<Held> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw classify(err);
  }
  let lost: Error | undefined;
  const onError = (err: Error) => (lost ??= err);
  client.on("error", onError);
  return {
    client,
    get lost() {
      return lost;
    },
    release(broken) {
      client.off("error", onError);
      client.release(broken ?? lost);
    },
  };
}

let savepoints = 0;

function clientSql(client: pg.PoolClient): Sql {
  const sql: Sql = {
    query: (text, values) => run(client, text, values),
    async tx(fn) {
      const name = `sb_sp_${++savepoints}`;
      await sql.query(`SAVEPOINT ${name}`);
      try {
        const out = await fn(sql);
        await sql.query(`RELEASE SAVEPOINT ${name}`);
        return out;
      } catch (err) {
        await sql.query(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => undefined);
        throw err;
      }
    },
  };
  return sql;
}

/** Queries on the pool; `tx` takes one connection for the transaction and gives it back after. */
export function poolSql(pool: pg.Pool): Sql {
  return {
    query: (text, values) => run(pool, text, values),
    async tx(fn) {
      const held = await connect(pool);
      const { client } = held;
      let broken: Error | undefined;
      try {
        await run(client, "BEGIN");
        const out = await fn(clientSql(client));
        await run(client, "COMMIT");
        return out;
      } catch (err) {
        try {
          await client.query("ROLLBACK");
        } catch (rollbackErr) {
          // the connection is gone: the server rolled back; the pool must not reuse it
          broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
        }
        throw err;
      } finally {
        held.release(broken);
      }
    },
  };
}

/** true for a unique-constraint violation (SQLSTATE 23505) */
export function isUniqueViolation(err: unknown): boolean {
  return err instanceof pg.DatabaseError && err.code === "23505";
}
