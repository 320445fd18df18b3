// pg's Pool.end() resolves once its clients are removed, not once their
// connections are closed; dropping the database WITH (FORCE) in that moment
// ends them from the server side and a client emits an 'error' nobody
// listens to any more. So: end the pools, wait until the server shows no
// other connection to the database, then drop it.
import pg from "pg";
import type { TestDatabase } from "../support/postgres.ts";

export async function endAndDrop(db: TestDatabase, pools: pg.Pool[]): Promise<void> {
  await Promise.all(pools.map((p) => p.end()));
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    const until = Date.now() + 10_000;
    for (;;) {
      const { rows } = await c.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
      if (rows[0].n === 0 || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await c.end();
  }
  await db.drop();
}
