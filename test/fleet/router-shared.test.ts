// The provider router's shared state on the real PostgreSQL server: round-robin
// positions, rpm windows and cooldowns seen by every gateway of a fleet.
import { spawn } from "node:child_process";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgCounters } from "../../src/fleet/router-counters.ts";
import { pgRouterHealth } from "../../src/fleet/router-health.ts";
import { migrateFleet } from "../../src/fleet/schema.ts";
import { fail, harness, req } from "../providers/router/fake-client.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { endAndDrop } from "./teardown.ts";

let db: TestDatabase;
const pools: pg.Pool[] = [];
const newPool = () => {
  const p = new pg.Pool({ connectionString: db.url, max: 3 });
  pools.push(p);
  return p;
};

beforeAll(async () => {
  db = await createTestDatabase("fleet_router");
  await migrateFleet(newPool());
});
afterAll(async () => {
  await endAndDrop(db, pools);
});

function taker(group: string, n: number): Promise<{ got: number[]; errors: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, "counter-taker.ts"), db.url, group, String(n)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`counter-taker exited ${code}: ${err}`))));
  });
}

describe("router counters shared on PostgreSQL", () => {
  it("two gateway processes taking one group's position concurrently never get the same value", async () => {
    const [a, b] = await Promise.all([taker("gpt", 150), taker("gpt", 150)]);
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    const all = [...a.got, ...b.got].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 300 }, (_, i) => i));
  }, 60_000);

  it("two routers on one group rotate over its entries as one: no entry twice in a row", async () => {
    const h = harness({ primary: "g", fallbacks: [] });
    for (let i = 0; i < 3; i++) h.list.add("g", "openai/m");
    const one = h.router({ counters: pgCounters(newPool()) });
    const two = h.router({ counters: pgCounters(newPool()) });
    const served: string[] = [];
    for (let i = 0; i < 6; i++) served.push((await (i % 2 === 0 ? one : two).chat(req())).entry.id);
    expect(served).toEqual(["g#0", "g#1", "g#2", "g#0", "g#1", "g#2"]);
    // concurrent requests from both rotate too
    const both = await Promise.all([one.chat(req()), two.chat(req()), one.chat(req())]);
    expect(both.map((r) => r.entry.id).sort()).toEqual(["g#0", "g#1", "g#2"]);
    expect(two.snapshot().groups.g).toBeGreaterThanOrEqual(6);
    one.close();
    two.close();
  });

  it("an rpm limit counts the calls of every gateway", async () => {
    const h = harness({ primary: "lim", fallbacks: [] });
    h.list.add("lim", "openai/l", { rpm: 2 });
    const one = h.router({ counters: pgCounters(newPool()) });
    const two = h.router({ counters: pgCounters(newPool()) });
    await one.chat(req());
    await one.chat(req());
    expect(h.sleeps).toEqual([]);
    // the second gateway has made no call, yet the entry's window is full: it waits for a slot
    await two.chat(req());
    expect(h.sleeps).toHaveLength(1);
    expect(h.sleeps[0]).toBeGreaterThan(0);
    expect(h.sleeps[0]).toBeLessThanOrEqual(60_000);
    // after the wait the first gateway's calls have left the 60 s window; the second's own call is in it
    expect(two.snapshot().targets.find((t) => t.entryId === "lim#0")?.rpm).toEqual({ limit: 2, used: 1 });
    expect((await pools[0]!.query("SELECT count(*)::int AS n FROM router_rpm")).rows[0].n).toBe(1); // expired stamps are pruned
    one.close();
    two.close();
  });

  it("a cooldown one gateway starts is honoured by the other", async () => {
    const h = harness({ primary: "c", fallbacks: [] });
    h.list.add("c", "openai/c1");
    h.list.add("c", "openai/c2");
    const stateA = await pgRouterHealth(newPool(), { writer: "gw-a", pollMs: 60_000 });
    const stateB = await pgRouterHealth(newPool(), { writer: "gw-b", pollMs: 60_000 });
    const countersPool = newPool();
    const a = h.router({ counters: pgCounters(countersPool), stateStore: stateA });
    const b = h.router({ counters: pgCounters(countersPool), stateStore: stateB });
    h.fake.script("c#0", 0, fail("rate_limit", { status: 429 }));
    const first = await a.chat(req()); // c#0 answers 429 and cools down; c#1 serves
    expect(first.entry.id).toBe("c#1");
    expect(a.snapshot().targets.find((t) => t.entryId === "c#0")?.cooldownUntil).not.toBeNull();
    expect(b.snapshot().targets.find((t) => t.entryId === "c#0")?.cooldownUntil).toBeNull();

    // let the write land, then gateway b reads what changed
    const until = Date.now() + 10_000;
    while ((await countersPool.query("SELECT count(*)::int AS n FROM router_targets WHERE writer = 'gw-a'")).rows[0].n < 1) {
      if (Date.now() > until) throw new Error("gateway a's cooldown never reached the database");
      await new Promise((r) => setTimeout(r, 20));
    }
    await stateB.pull();
    expect(b.snapshot().targets.find((t) => t.entryId === "c#0")?.cooldownUntil).toBe(a.snapshot().targets.find((t) => t.entryId === "c#0")?.cooldownUntil);
    // b's next request starts at c#0 by round-robin, but skips it: it is cooling down fleet-wide
    const calls = h.fake.callsTo().length;
    const next = await b.chat(req());
    expect(next.entry.id).toBe("c#1");
    expect(h.fake.callsTo().slice(calls)).toEqual(["c#1/0"]);

    // a gateway that starts later loads the fleet's cooldowns
    const late = await pgRouterHealth(newPool(), { writer: "gw-c", pollMs: 60_000 });
    expect(late.load()?.targets.some((t) => t.cooldownUntil !== null)).toBe(true);
    for (const r of [a, b]) r.close();
    late.close?.();
  });
});
