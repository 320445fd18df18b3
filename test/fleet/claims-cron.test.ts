// Session claims and cron fire-once on the real PostgreSQL server, hammered
// from several connections (one pool per "gateway").
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimNext, claimSession, releaseSession, stillClaimed, type SessionClaim } from "../../src/fleet/claims.ts";
import { claimCronFire, cronFiredBy } from "../../src/fleet/cron.ts";
import { FleetMember } from "../../src/fleet/members.ts";
import { migrateFleet } from "../../src/fleet/schema.ts";
import { fleetStatus } from "../../src/fleet/status.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { endAndDrop } from "./teardown.ts";

let db: TestDatabase;
const pools: pg.Pool[] = [];
const newPool = (max = 3) => {
  const p = new pg.Pool({ connectionString: db.url, max });
  pools.push(p);
  return p;
};

beforeAll(async () => {
  db = await createTestDatabase("fleet_claims");
  // three gateways migrating at once: one applies, the others find it done
  const results = await Promise.all([newPool(), newPool(), newPool()].map((p) => migrateFleet(p)));
  expect(results.map((r) => r.length).sort()).toEqual([0, 0, 1]);
});
afterAll(async () => {
  await endAndDrop(db, pools);
});

describe("session claims", () => {
  it("are never granted twice at once, hammered by three gateways over twelve connections", async () => {
    const members = await Promise.all(["g1", "g2", "g3"].map(async (id) => {
      const m = new FleetMember(newPool(4), { id });
      await m.join();
      return m;
    }));
    const keys = Array.from({ length: 8 }, (_, i) => `telegram:default:chat${i}`);
    const running = new Map<string, string>();
    const violations: string[] = [];
    let turns = 0;
    let busy = 0;
    const worker = async (m: FleetMember, pool: pg.Pool, seed: number) => {
      for (let i = 0; i < 40; i++) {
        const order = keys.map((_, j) => keys[(j + seed + i) % keys.length]!);
        const claim = await claimNext(pool, order, m.id);
        if (!claim) {
          busy++;
          continue;
        }
        const holder = `${m.id}#${seed}`;
        if (running.has(claim.sessionKey)) violations.push(`${claim.sessionKey} claimed by ${holder} while ${running.get(claim.sessionKey)} ran it`);
        running.set(claim.sessionKey, holder);
        await pool.query("SELECT pg_sleep(0.002)"); // the turn
        expect(await stillClaimed(pool, claim)).toBe(true);
        running.delete(claim.sessionKey);
        expect(await releaseSession(pool, claim)).toBe(true);
        turns++;
      }
    };
    // each gateway runs four workers (its pipeline's concurrency) on its own pool
    await Promise.all(members.flatMap((m, mi) => [0, 1, 2, 3].map((w) => worker(m, pools[3 + mi]!, mi * 4 + w))));
    expect(violations).toEqual([]);
    expect(turns + busy).toBe(3 * 4 * 40);
    expect(turns).toBeGreaterThan(100);
    for (const m of members) await m.leave();
  }, 60_000);

  it("a claim held by a dead gateway is freed, and the dead one finds its claim gone", async () => {
    const pool = newPool();
    const ttl = 1000;
    const a = new FleetMember(pool, { id: "dying", ttlMs: ttl, heartbeatMs: 200 });
    const b = new FleetMember(pool, { id: "survivor", ttlMs: ttl, heartbeatMs: 200 });
    await a.join();
    await b.join();
    const mine = (await claimSession(pool, "discord:ops:chan", a.id, ttl)) as SessionClaim;
    expect(mine).not.toBeNull();
    expect(await claimSession(pool, "discord:ops:chan", b.id, ttl)).toBeNull(); // a is alive and holds it
    const s = await fleetStatus(pool, ttl);
    expect(s.claimedSessions.byMember).toEqual({ dying: 1 });

    a.halt(); // its heartbeat stops, as if the process died
    let taken: SessionClaim | null = null;
    const until = Date.now() + 10_000;
    while (!taken && Date.now() < until) {
      taken = await claimSession(pool, "discord:ops:chan", b.id, ttl);
      if (!taken) await new Promise((r) => setTimeout(r, 100));
    }
    expect(taken?.member).toBe("survivor");
    expect(taken!.token).toBeGreaterThan(mine.token);
    expect(a.alive()).toBe(false);
    expect(await stillClaimed(pool, mine)).toBe(false);
    expect(await releaseSession(pool, mine)).toBe(false); // its late release cannot free the survivor's claim
    expect(await stillClaimed(pool, taken!)).toBe(true);
    const after = await fleetStatus(pool, ttl);
    expect(after.members.find((m) => m.id === "dying")?.alive).toBe(false);
    expect(after.members.find((m) => m.id === "survivor")?.alive).toBe(true);
    b.halt();
  }, 30_000);
});

describe("cron fire-once", () => {
  it("fires each scheduled run on exactly one of three gateways over many ticks", async () => {
    const gateways = ["c1", "c2", "c3"].map((id) => ({ id, pool: newPool(2), fired: 0 }));
    const start = Date.UTC(2026, 11, 6, 8, 0, 0);
    const ticks = 150;
    for (let i = 0; i < ticks; i++) {
      const at = start + i * 60_000;
      // every gateway's scheduler wakes for the same run, two jobs due at once
      const wins = await Promise.all(gateways.flatMap((g) => ["job1", "job2"].map(async (job) => ((await claimCronFire(g.pool, job, at, g.id)) ? (g.fired++, `${job}@${g.id}`) : null))));
      const fired = wins.filter(Boolean) as string[];
      expect(fired.filter((w) => w.startsWith("job1@"))).toHaveLength(1);
      expect(fired.filter((w) => w.startsWith("job2@"))).toHaveLength(1);
    }
    expect(gateways.reduce((n, g) => n + g.fired, 0)).toBe(ticks * 2);
    const { rows } = await pools[0]!.query("SELECT count(*)::int AS n FROM fleet_cron_fires");
    expect(rows[0].n).toBe(ticks * 2);
    expect(["c1", "c2", "c3"]).toContain(await cronFiredBy(pools[0]!, "job1", start));
    await expect(claimCronFire(pools[0]!, "job1", 1.5, "c1")).rejects.toThrow(/integer epoch ms/);
  }, 60_000);
});
