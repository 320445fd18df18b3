// LeaseKeeper in one process against the real server: the seam's callbacks,
// accounts spread over keepers, config changes, a channel that cannot start,
// and a keeper that cannot reach the database stopping on its own deadline.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LeaseKeeper } from "../../src/fleet/keeper.ts";
import { migrateFleet } from "../../src/fleet/schema.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { endAndDrop } from "./teardown.ts";

let db: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase("fleet_keeper");
  pool = new pg.Pool({ connectionString: db.url, max: 8 });
  await migrateFleet(pool);
});
afterAll(async () => {
  await endAndDrop(db, [pool]);
});

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function keeper(owner: string, resources: string[] | (() => string[]), log: string[], extra: Partial<ConstructorParameters<typeof LeaseKeeper>[0]> = {}) {
  return new LeaseKeeper({
    pool,
    owner,
    resources,
    ttlMs: 1500,
    renewMs: 400,
    onAcquire: (r, lease) => void log.push(`${owner} +${r}@${lease.epoch}`),
    onLose: (r, why) => void log.push(`${owner} -${r} ${why}`),
    ...extra,
  });
}

describe("LeaseKeeper", () => {
  it("each account is started by exactly one keeper; dropping one from the config stops it and frees it at once", async () => {
    const log: string[] = [];
    let wanted = ["telegram:a", "discord:b", "qq:c"];
    const one = keeper("k1", () => wanted, log);
    const two = keeper("k2", ["telegram:a", "discord:b", "qq:c"], log);
    one.start();
    two.start();
    await until(() => one.holdings().length + two.holdings().length === 3, "all three accounts to be held");
    const holders = (r: string) => [one, two].filter((k) => k.holdings().some((h) => h.resource === r)).length;
    for (const r of wanted) expect(holders(r)).toBe(1);
    expect(log.filter((l) => l.includes(" +"))).toHaveLength(3);

    // k1 stops wanting what it holds (a config reload): it stops those, k2 takes them without waiting for the TTL
    const k1Had = one.holdings().map((h) => h.resource);
    wanted = [];
    await until(() => two.holdings().length === 3, "k2 to hold everything");
    for (const r of k1Had) expect(log).toContain(`k1 -${r} released`);
    await one.stop();
    await two.stop();
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM fleet_leases WHERE expires_at > now()");
    expect(rows[0].n).toBe(0); // a clean stop gives every lease back
  });

  it("gives the lease back when the channel cannot start, so another gateway can try", async () => {
    const log: string[] = [];
    const errors: string[] = [];
    const broken = keeper("broken", ["whatsapp:x"], log, {
      onAcquire: () => {
        throw new Error("no WhatsApp session on this machine");
      },
      onError: (r) => errors.push(r),
    });
    broken.start();
    await until(() => errors.length > 0, "the start failure to be told");
    expect(errors[0]).toMatch(/starting whatsapp:x: no WhatsApp session/);
    const good = keeper("good", ["whatsapp:x"], log);
    good.start();
    await until(() => good.holdings().length === 1, "the other keeper to take it");
    await broken.stop();
    await good.stop();
  });

  it("stops the channel at its own deadline when renewals cannot get through", async () => {
    const log: string[] = [];
    const k = keeper("stuck", ["feishu:main"], log);
    k.start();
    await until(() => k.holdings().length === 1, "the lease");
    const lease = k.lease("feishu:main")!;
    expect(lease.valid()).toBe(true);
    // another session locks the lease row: every renewal now hangs, as with a database that stopped answering
    const blocker = await pool.connect();
    await blocker.query("BEGIN");
    await blocker.query("SELECT * FROM fleet_leases WHERE resource = 'feishu:main' FOR UPDATE");
    try {
      await until(() => log.includes("stuck -feishu:main expired"), "the keeper to give the channel up on its own", 5000);
      expect(lease.valid()).toBe(false);
    } finally {
      await blocker.query("ROLLBACK");
      blocker.release();
    }
    // once the database answers again it takes the (expired) lease back with a new epoch
    await until(() => (k.lease("feishu:main")?.epoch ?? 0) > lease.epoch, "a new lease");
    await k.stop();
  });

  it("a channel slow to come online holds up no renewal, and its signal aborts when the lease goes", async () => {
    const log: string[] = [];
    let slowSignal: AbortSignal | undefined;
    const k = keeper("slowpoke", ["telegram:slow", "discord:fast"], log, {
      onAcquire: async (r, lease) => {
        log.push(`+${r}`);
        if (r !== "telegram:slow") return;
        slowSignal = lease.signal;
        // a start that only ends when told to (an adapter that never comes online)
        await new Promise<void>((resolve) => lease.signal.addEventListener("abort", () => resolve()));
      },
    });
    k.start();
    await until(() => k.holdings().length === 2 && slowSignal !== undefined, "both leases");
    // the fast account's lease keeps being renewed well past one TTL while the slow start hangs
    await until(async () => {
      const { rows } = await pool.query("SELECT extract(epoch FROM renewed_at - acquired_at) * 1000 AS ms FROM fleet_leases WHERE resource = 'discord:fast'");
      return Number(rows[0].ms) > 3000;
    }, "renewals past two TTLs");
    expect(k.lease("discord:fast")?.valid()).toBe(true);
    expect(log.filter((l) => l.includes("expired"))).toEqual([]);
    expect(slowSignal!.aborted).toBe(false);
    await k.stop(); // waits for the slow start to end: its signal aborted
    expect(slowSignal!.aborted).toBe(true);
    expect(log).toContain("slowpoke -telegram:slow released");
  });

  it("refuses a renewal period that cannot keep the lease", () => {
    expect(() => keeper("x", [], [], { ttlMs: 2000, renewMs: 1000 })).toThrow(/cannot keep a 2000 ms lease/);
  });
});
