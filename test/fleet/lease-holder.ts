// A gateway stand-in for the lease tests, run as its own process so kill -9
// and SIGSTOP are real: it joins the fleet, keeps the lease on one channel
// account and, while it holds it, "acts" every 100 ms — a fenced write into
// the acts table, as a channel's stored writes would be. Every event is one
// JSON line on stdout, with the wall-clock time it happened.
//
//   node lease-holder.ts <postgres-url> <account> <name>
import pg from "pg";
import { FencedError, fencedWrite, startFleet, type Lease } from "../../src/fleet/index.ts";

const [url, account, name] = process.argv.slice(2) as [string, string, string];
const log = (ev: string, fields: Record<string, unknown> = {}) => process.stdout.write(`${JSON.stringify({ ev, name, t: Date.now(), ...fields })}\n`);

const pool = new pg.Pool({ connectionString: url, max: 4 });
pool.on("error", () => {});
{
  // contenders start together: CREATE TABLE IF NOT EXISTS alone races on the type name
  const c = await pool.connect();
  await c.query("BEGIN");
  await c.query("SELECT pg_advisory_xact_lock(42)");
  await c.query("CREATE TABLE IF NOT EXISTS acts (id bigserial PRIMARY KEY, name text NOT NULL, epoch bigint NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())");
  await c.query("COMMIT");
  c.release();
}

let current: Lease | undefined;
let acting = false;

async function act(): Promise<void> {
  const lease = current;
  if (!lease || acting) return;
  acting = true;
  try {
    const checkedAt = Date.now();
    if (!lease.valid()) return;
    await fencedWrite(pool, account, lease.epoch, (c) => c.query("INSERT INTO acts (name, epoch) VALUES ($1, $2)", [name, lease.epoch]));
    log("act", { epoch: lease.epoch, checkedAt });
  } catch (err) {
    log(err instanceof FencedError ? "fenced" : "error", { epoch: lease.epoch, message: (err as Error).message });
  } finally {
    acting = false;
  }
}

const fleet = await startFleet({
  pool,
  memberId: name,
  channels: [account],
  onAcquire: (_resource, lease) => {
    current = lease;
    log("acquire", { epoch: lease.epoch });
  },
  onLose: async (_resource, why) => {
    const lost = current;
    current = undefined;
    log("lose", { why, epoch: lost?.epoch });
    // what a store write from a holder that lost its lease meets: refused
    if (lost) {
      try {
        await fencedWrite(pool, account, lost.epoch, (c) => c.query("INSERT INTO acts (name, epoch) VALUES ($1, $2)", [`${name}-stale`, lost.epoch]));
        log("stale-write-landed", { epoch: lost.epoch });
      } catch (err) {
        log(err instanceof FencedError ? "fenced" : "error", { epoch: lost.epoch, message: (err as Error).message });
      }
    }
  },
  onError: (reason) => log("db-error", { reason }),
});
log("joined", { id: fleet.id });
setInterval(() => void act(), 100);
process.on("SIGTERM", () => {
  void fleet.stop().then(() => {
    log("stopped");
    process.exit(0);
  });
});
