// Channel leases: one owner per channel account ("<channel>:<account>") at a
// time, because a platform allows one poller or one socket per bot.
//
// Why a lease row and not a session-level advisory lock: an advisory lock
// lives and dies with one server connection, so it breaks behind a
// transaction-pooling pgbouncer, is silently dropped when the connection is
// (the holder learns it only on its next query), and shows no age or owner to
// `status`. A row with an owner, an expiry and an epoch survives connection
// changes, can be read by anyone (`status` shows lease ages), and gives the
// holder a fencing token.
//
// Fencing: every acquisition increments the row's epoch. The holder keeps a
// local deadline (when its last successful renewal was SENT, plus the TTL:
// the server set the expiry no earlier than that) and must stop acting on the
// channel once it has passed, whatever the database says later. Stored writes
// can carry the epoch: fencedWrite() runs them in a transaction that first
// share-locks the lease row at that epoch, so a write from a holder that lost
// the lease fails instead of landing after the new holder's.
//
// All expiry arithmetic is on the database's clock (now()).
import type pg from "pg";

/** lease lifetime without renewal (ms): a kill -9'd owner's channel is free after at most this */
export const LEASE_TTL_MS = 6000;
/** how often a holder renews and a contender tries (ms) */
export const LEASE_RENEW_MS = 2000;

export interface LeaseRow {
  resource: string;
  owner: string;
  epoch: number;
}

const TTL = "make_interval(secs => $3::double precision / 1000)";

/** Takes the lease when it is free (absent or expired); returns the new epoch, or null when someone holds it. */
export async function tryAcquire(db: pg.Pool | pg.PoolClient, resource: string, owner: string, ttlMs = LEASE_TTL_MS): Promise<number | null> {
  const r = await db.query<{ epoch: string }>(
    `INSERT INTO fleet_leases AS l (resource, owner, epoch, acquired_at, renewed_at, expires_at)
     VALUES ($1, $2, 1, now(), now(), now() + ${TTL})
     ON CONFLICT (resource) DO UPDATE
       SET owner = EXCLUDED.owner, epoch = l.epoch + 1, acquired_at = now(), renewed_at = now(), expires_at = EXCLUDED.expires_at
       WHERE l.expires_at <= now()
     RETURNING epoch`,
    [resource, owner, ttlMs],
  );
  const row = r.rows[0];
  return row ? Number(row.epoch) : null;
}

/** Extends a lease still held at `epoch`; false when it expired or another owner has it (the holder must stop). */
export async function renew(db: pg.Pool | pg.PoolClient, resource: string, owner: string, epoch: number, ttlMs = LEASE_TTL_MS): Promise<boolean> {
  const r = await db.query(
    `UPDATE fleet_leases SET renewed_at = now(), expires_at = now() + ${TTL}
     WHERE resource = $1 AND owner = $2 AND expires_at > now() AND epoch = $4`,
    [resource, owner, ttlMs, epoch],
  );
  return (r.rowCount ?? 0) === 1;
}

/** Gives the lease up now (clean shutdown): the next contender takes it without waiting for the TTL. */
export async function release(db: pg.Pool | pg.PoolClient, resource: string, owner: string, epoch: number): Promise<boolean> {
  const r = await db.query("UPDATE fleet_leases SET expires_at = now() WHERE resource = $1 AND owner = $2 AND epoch = $3 AND expires_at > now()", [
    resource,
    owner,
    epoch,
  ]);
  return (r.rowCount ?? 0) === 1;
}

export class FencedError extends Error {
  readonly resource: string;
  readonly epoch: number;
  constructor(resource: string, epoch: number) {
    super(`lease ${resource} is no longer held at epoch ${epoch}: another gateway owns it now; this write was refused`);
    this.name = "FencedError";
    this.resource = resource;
    this.epoch = epoch;
  }
}

/**
 * A fenced write's transaction may sit idle this long (ms) before the server
 * ends it: a holder paused in the middle of one (SIGSTOP, a frozen VM) would
 * otherwise hold the lease row's lock, and so hold back the takeover, for as
 * long as it stays paused.
 */
export const FENCED_IDLE_MS = 2000;

/**
 * Runs `fn` in a transaction that holds the lease row at `epoch` share-locked:
 * it throws FencedError when the lease moved on or expired, and a takeover
 * waits until this transaction ends, so the fenced write can never land after
 * the new holder's first one. A transaction left idle longer than `idleMs` is
 * ended by the server (the write fails; the takeover goes on).
 */
export async function fencedWrite<T>(
  pool: pg.Pool,
  resource: string,
  epoch: number,
  fn: (client: pg.PoolClient) => Promise<T>,
  opts: { idleMs?: number } = {},
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // the server ending the connection (the idle timeout) arrives as an 'error' event on the checked-out client
  const onError = (err: Error) => (broken = err);
  client.on("error", onError);
  try {
    await client.query("BEGIN");
    await client.query(`SET LOCAL idle_in_transaction_session_timeout = ${Math.max(1, Math.round(opts.idleMs ?? FENCED_IDLE_MS))}`);
    const r = await client.query("SELECT 1 FROM fleet_leases WHERE resource = $1 AND epoch = $2 AND expires_at > now() FOR SHARE", [resource, epoch]);
    if (r.rowCount !== 1) throw new FencedError(resource, epoch);
    const value = await fn(client);
    await client.query("COMMIT");
    return value;
  } catch (err) {
    await client.query("ROLLBACK").catch((e: Error) => (broken = e));
    throw err;
  } finally {
    // a connection the server ended is thrown away, not handed to the next caller
    client.off("error", onError);
    client.release(broken);
  }
}

/** Every lease as `status` shows it, ages on the database's clock. */
export async function listLeases(db: pg.Pool | pg.PoolClient): Promise<{ resource: string; owner: string; epoch: number; heldForMs: number; renewedAgoMs: number; expiresInMs: number }[]> {
  const r = await db.query<{ resource: string; owner: string; epoch: string; held: number; renewed: number; expires: number }>(
    `SELECT resource, owner, epoch,
            extract(epoch FROM now() - acquired_at) * 1000 AS held,
            extract(epoch FROM now() - renewed_at) * 1000 AS renewed,
            extract(epoch FROM expires_at - now()) * 1000 AS expires
     FROM fleet_leases ORDER BY resource`,
  );
  return r.rows.map((x) => ({
    resource: x.resource,
    owner: x.owner,
    epoch: Number(x.epoch),
    heldForMs: Math.round(Number(x.held)),
    renewedAgoMs: Math.round(Number(x.renewed)),
    expiresInMs: Math.round(Number(x.expires)),
  }));
}
