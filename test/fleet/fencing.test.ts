// fencedWrite on the real server: a write under the current epoch holds a
// takeover back until it commits; a write under an old epoch is refused.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FENCED_IDLE_MS, FencedError, fencedWrite, release, renew, tryAcquire } from "../../src/fleet/leases.ts";
import { migrateFleet } from "../../src/fleet/schema.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { endAndDrop } from "./teardown.ts";

let db: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase("fleet_fencing");
  pool = new pg.Pool({ connectionString: db.url, max: 6, application_name: "fencing-test" });
  await migrateFleet(pool);
  await pool.query("CREATE TABLE offsets (account text PRIMARY KEY, value bigint NOT NULL, epoch bigint NOT NULL)");
});
afterAll(async () => {
  await endAndDrop(db, [pool]);
});

const storeOffset = (account: string, epoch: number, value: number) => (c: pg.PoolClient) =>
  c.query("INSERT INTO offsets VALUES ($1, $2, $3) ON CONFLICT (account) DO UPDATE SET value = EXCLUDED.value, epoch = EXCLUDED.epoch", [account, value, epoch]);

describe("fenced writes", () => {
  it("a takeover waits for the old holder's write in progress; the old holder's next write is refused", async () => {
    const account = "telegram:fenced";
    const e1 = (await tryAcquire(pool, account, "old", 800))!;
    expect(e1).toBe(1);
    expect(await tryAcquire(pool, account, "new", 800)).toBeNull(); // held

    let finish!: () => void;
    const gate = new Promise<void>((r) => (finish = r));
    const writing = fencedWrite(pool, account, e1, async (c) => {
      await storeOffset(account, e1, 100)(c);
      await gate; // the write is still in its transaction when the lease runs out
    }, { idleMs: 30_000 });
    // the lease expires while the write is open; the new owner's takeover must wait for it
    let taken: number | null = null;
    const takeover = (async () => {
      const until = Date.now() + 15_000;
      while (taken === null && Date.now() < until) {
        taken = await tryAcquire(pool, account, "new", 800);
        if (taken === null) await new Promise((r) => setTimeout(r, 50));
      }
    })();
    // condition: the new owner's statement is blocked on the lease row's lock
    const blockedUntil = Date.now() + 15_000;
    for (;;) {
      const { rows } = await pool.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'fencing-test' AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO fleet_leases%'");
      if (rows[0].n === 1) break;
      if (Date.now() > blockedUntil) throw new Error("the takeover never waited on the write's lock");
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(taken).toBeNull();
    finish();
    await writing;
    await takeover;
    expect(taken).toBe(e1 + 1);

    // the old holder cannot renew, and its next write is refused
    expect(await renew(pool, account, "old", e1, 800)).toBe(false);
    await expect(fencedWrite(pool, account, e1, storeOffset(account, e1, 200))).rejects.toBeInstanceOf(FencedError);
    await fencedWrite(pool, account, taken!, storeOffset(account, taken!, 300));
    const { rows } = await pool.query("SELECT value, epoch FROM offsets WHERE account = $1", [account]);
    expect(rows).toEqual([{ value: "300", epoch: String(taken) }]);

    // giving it back frees it at once for the next owner
    expect(await release(pool, account, "new", taken!)).toBe(true);
    expect(await tryAcquire(pool, account, "third", 800)).toBe(taken! + 1);
  }, 40_000);

  it("a holder paused in the middle of a write holds the takeover back only until the server ends its idle transaction", async () => {
    const account = "discord:paused";
    const e1 = (await tryAcquire(pool, account, "paused", 500))!;
    let resume!: () => void;
    const paused = new Promise<void>((r) => (resume = r));
    const writing = fencedWrite(pool, account, e1, async (c) => {
      await storeOffset(account, e1, 1)(c);
      await paused; // the holder is frozen with its transaction open
      await c.query("SELECT 1");
    });
    writing.catch(() => {});
    // another gateway takes the account over while the holder is still frozen
    let taken: number | null = null;
    const until = Date.now() + 10_000 + FENCED_IDLE_MS;
    while (taken === null) {
      taken = await tryAcquire(pool, account, "next", 500);
      if (taken === null) {
        if (Date.now() > until) throw new Error("the frozen holder's open transaction held the takeover back");
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    expect(taken).toBe(e1 + 1);
    resume();
    await expect(writing).rejects.toThrow(); // its connection was ended: nothing it wrote landed
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM offsets WHERE account = $1", [account]);
    expect(rows[0].n).toBe(0);
  }, 40_000);
});
