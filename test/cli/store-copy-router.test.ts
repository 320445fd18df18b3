// `switchboard store copy` carries the router's state into the tables a fleet
// shares: the cooldowns, round-robin positions and rpm windows a gateway
// wrote (through the real router stores) are what the fleet's PostgreSQL
// stores then read, and running the copy again adds nothing twice.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { pgCounters } from "../../src/fleet/router-counters.ts";
import { pgRouterHealth } from "../../src/fleet/router-health.ts";
import { sqliteCounters } from "../../src/providers/router/shared-counters.ts";
import { fileStateStore, type RouterPersisted } from "../../src/providers/router/state-store.ts";
import { openStore } from "../../src/store/index.ts";
import { endAndDrop } from "../fleet/teardown.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { runCli } from "./run-cli.ts";

let home: string;
const dbs: TestDatabase[] = [];
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "sb-copy-router-"));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));
afterAll(async () => {
  for (const d of dbs) await endAndDrop(d, []);
});

const env = () => ({ SWITCHBOARD_HOME: home, SWITCHBOARD_LOG_LEVEL: "error" });

async function database(): Promise<TestDatabase> {
  const db = await createTestDatabase("copy_router");
  dbs.push(db);
  return db;
}

/** A router state as the gateway saves it: one target cooling down after a 429, one healthy. */
function routerState(now: number): RouterPersisted {
  return {
    version: 2,
    savedAt: now,
    targets: [
      { key: "t-main-0", entryId: "main", keyIndex: 0, modelName: "main", errorCount: 3, billingCount: 0, cooldownUntil: now + 600_000, lastFailureAt: now - 1000, lastError: { reason: "rate_limit", status: 429, message: "slow down", at: now - 1000 }, lastSuccessAt: now - 60_000 },
      { key: "t-main-1", entryId: "main", keyIndex: 1, modelName: "main", errorCount: 0, billingCount: 0, cooldownUntil: null, lastFailureAt: null, lastError: null, lastSuccessAt: now - 5000 },
    ],
  };
}

/** What the gateway leaves in <state>/: router.json through its file store, router.db through its counters. */
function writeRouterFiles(now: number): void {
  mkdirSync(join(home, "state"), { recursive: true });
  fileStateStore(join(home, "state", "router.json"), { minIntervalMs: 0 }).save(routerState(now), { urgent: true });
  const counters = sqliteCounters(join(home, "state", "router.db"));
  for (let i = 0; i < 5; i++) counters.take("main");
  counters.take("backup");
  counters.stamp("main#fp", now - 120_000, 10); // outside the rpm window: no longer counts
  counters.stamp("main#fp", now - 2000, 10);
  counters.stamp("main#fp", now - 1000, 10);
  counters.stamp("main#fp", now - 1000, 10); // two calls in the same millisecond are two
  counters.close();
}

function writeStore(): void {
  const s = openStore(join(home, "switchboard.db"));
  s.kv.set("k", "v");
  s.close();
}

describe("store copy: the router's state", () => {
  it("round-trips cooldowns, round-robin positions and rpm windows into the fleet's tables, and a repeat adds nothing", async () => {
    const db = await database();
    const now = Date.now();
    writeStore();
    writeRouterFiles(now);
    const run = await runCli(["store", "copy", "--to", db.url], env());
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^router state from .*state → postgres:\/\//m);
    expect(run.stdout).toMatch(/^ {2}router_targets +2$/m);
    expect(run.stdout).toMatch(/^ {2}router_rr +2$/m);
    expect(run.stdout).toMatch(/^ {2}router_rpm +3$/m);

    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    try {
      // the fleet's own stores read what the gateway wrote
      const health = await pgRouterHealth(pool, { writer: "gw-reader" });
      expect(health.load()?.targets).toEqual(routerState(now).targets);
      health.close?.();
      const counters = pgCounters(pool);
      expect(await counters.take("main")).toBe(5); // the rotation goes on where it stood
      expect(await counters.take("backup")).toBe(1);
      expect(await counters.stamps("main#fp", now - 60_000)).toEqual([now - 2000, now - 1000, now - 1000]);
      counters.close();

      // again, router state only: nothing is added twice, and the rotation is not set back
      const again = await runCli(["store", "copy", "--to", db.url, "--router-only", "--json"], env());
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ router: { rows: { router_targets: 0, router_rr: 0, router_rpm: 0 } } });
      const rr = await pool.query("SELECT grp, n FROM router_rr ORDER BY grp");
      expect(rr.rows.map((r) => [r.grp, Number(r.n)])).toEqual([["backup", 2], ["main", 6]]);
      expect((await pool.query("SELECT count(*)::int AS n FROM router_rpm")).rows[0].n).toBe(3);
    } finally {
      await pool.end();
    }
  });

  it("--router-only never replaces a record a gateway wrote, only one an earlier copy wrote", async () => {
    const db = await database();
    const now = Date.now();
    writeRouterFiles(now);
    const first = await runCli(["store", "copy", "--to", db.url, "--router-only"], env());
    expect(first.code).toBe(0);
    expect(first.stdout).not.toMatch(/^copied /m); // the store tables are left alone
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      // a gateway of the fleet has since learned newer things about t-main-0
      await pool.query("UPDATE router_targets SET state = jsonb_set(state, '{errorCount}', '7'), writer = 'gw-1' WHERE key = 't-main-0'");
      // and the local state moved on for both targets
      const moved = routerState(now);
      for (const t of moved.targets) t.errorCount += 10;
      fileStateStore(join(home, "state", "router.json"), { minIntervalMs: 0 }).save(moved, { urgent: true });
      const second = await runCli(["store", "copy", "--to", db.url, "--router-only"], env());
      expect(second.code).toBe(0);
      expect(second.stdout).toMatch(/^ {2}router_targets +1$/m);
      const rows = await pool.query<{ key: string; n: number; writer: string }>("SELECT key, (state->>'errorCount')::int AS n, writer FROM router_targets ORDER BY key");
      expect(rows.rows).toEqual([
        { key: "t-main-0", n: 7, writer: "gw-1" },
        { key: "t-main-1", n: 10, writer: "switchboard-store-copy" },
      ]);
    } finally {
      await pool.end();
    }
  });

  it("with --from, reads the router's state from the state/ folder beside that file", async () => {
    const db = await database();
    const now = Date.now();
    writeRouterFiles(now); // in <home>/state: not the one asked for
    const other = join(home, "copied-home");
    mkdirSync(join(other, "state"), { recursive: true });
    const only = routerState(now);
    only.targets = only.targets.slice(1);
    fileStateStore(join(other, "state", "router.json"), { minIntervalMs: 0 }).save(only, { urgent: true });
    const run = await runCli(["store", "copy", "--to", db.url, "--router-only", "--from", join(other, "switchboard.db"), "--json"], env());
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ router: { from: join(other, "state"), rows: { router_targets: 1, router_rr: 0, router_rpm: 0 } } });
  });

  it("a refused copy writes no router rows either", async () => {
    const db = await database();
    writeStore();
    writeRouterFiles(Date.now());
    expect((await runCli(["store", "copy", "--to", db.url], env())).code).toBe(0);
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      await pool.query("DELETE FROM router_rr");
      const refused = await runCli(["store", "copy", "--to", db.url, "--force"], env());
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/already holds Switchboard data/);
      expect((await pool.query("SELECT count(*)::int AS n FROM router_rr")).rows[0].n).toBe(0);
    } finally {
      await pool.end();
    }
  });
});
