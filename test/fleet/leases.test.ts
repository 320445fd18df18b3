// Channel leases across real processes on the real PostgreSQL server: one
// holder at a time, takeover after kill -9 within the TTL's bound, a paused
// holder fenced when it wakes.
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { endAndDrop } from "./teardown.ts";
import { Holders, type HolderEvent } from "./holders.ts";

let db: TestDatabase;
let pool: pg.Pool;
let holders: Holders | undefined;

beforeAll(async () => {
  db = await createTestDatabase("fleet_leases");
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
});
afterEach(async () => {
  await holders?.killAll();
  holders = undefined;
});
afterAll(async () => {
  await endAndDrop(db, [pool]);
});

/** the takeover bound: the lease TTL plus a renewal round, loosely (a busy 2-core machine) */
const TAKEOVER_BOUND_MS = 15_000;

/** From the database's side: acts (fenced writes) in commit order never go back to an older epoch, and each epoch has one writer. */
async function dbOverlaps(): Promise<string[]> {
  const { rows } = await pool.query<{ name: string; epoch: string }>("SELECT name, epoch FROM acts ORDER BY at, id");
  const bad: string[] = [];
  const writer = new Map<number, string>();
  let maxEpoch = 0;
  for (const r of rows) {
    const e = Number(r.epoch);
    if (e < maxEpoch) bad.push(`${r.name} wrote under epoch ${e} after epoch ${maxEpoch} had written`);
    maxEpoch = Math.max(maxEpoch, e);
    if (writer.has(e) && writer.get(e) !== r.name) bad.push(`epoch ${e} written by ${writer.get(e)} and ${r.name}`);
    writer.set(e, r.name);
  }
  return bad;
}

async function actsBy(name: string, epoch: number, count: number, h: Holders): Promise<void> {
  const until = Date.now() + 20_000;
  while (h.events.filter((e) => e.ev === "act" && e.name === name && e.epoch === epoch).length < count) {
    if (Date.now() > until) throw new Error(`${name} did not act ${count} times under epoch ${epoch}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("channel leases between gateway processes", () => {
  it("two contenders: one holder; kill -9 → the other takes over within the bound, with a higher epoch", async () => {
    const account = "telegram:two";
    holders = new Holders(db.url, account);
    holders.spawn("a");
    holders.spawn("b");
    const first = await holders.waitFor((e) => e.ev === "acquire", "a first holder");
    await actsBy(first.name, first.epoch!, 5, holders);
    const other = first.name === "a" ? "b" : "a";
    await holders.waitFor((e) => e.ev === "joined" && e.name === other, "the second contender to join");
    expect(holders.events.filter((e) => e.ev === "acquire")).toHaveLength(1); // the contender is refused while the lease lives

    const killedAt = Date.now();
    holders.signal(first.name, "SIGKILL");
    const next = await holders.waitFor((e) => e.ev === "acquire" && e.name === other, "the takeover");
    const takeoverMs = next.t - killedAt;
    expect(takeoverMs).toBeLessThan(TAKEOVER_BOUND_MS);
    expect(next.epoch).toBe(first.epoch! + 1);
    await actsBy(other, next.epoch!, 3, holders);

    expect(holders.overlaps()).toEqual([]);
    expect(await dbOverlaps()).toEqual([]);
    const { rows } = await pool.query("SELECT owner, epoch FROM fleet_leases WHERE resource = $1", [account]);
    expect(rows).toEqual([{ owner: other, epoch: String(next.epoch) }]);
  }, 60_000);

  it("three contenders: a paused holder is fenced when it wakes; kill -9 of the next moves the lease on again", async () => {
    await pool.query("TRUNCATE acts");
    const account = "telegram:three";
    holders = new Holders(db.url, account);
    for (const n of ["x", "y", "z"]) holders.spawn(n);
    const first = await holders.waitFor((e) => e.ev === "acquire" && e.name !== undefined, "a first holder");
    await actsBy(first.name, first.epoch!, 3, holders);

    holders.signal(first.name, "SIGSTOP");
    const pausedAt = Date.now();
    const second = await holders.waitFor((e) => e.ev === "acquire" && e.epoch === first.epoch! + 1, "a takeover from the paused holder");
    expect(second.name).not.toBe(first.name);
    expect(second.t - pausedAt).toBeLessThan(TAKEOVER_BOUND_MS);
    await actsBy(second.name, second.epoch!, 3, holders);

    holders.signal(first.name, "SIGCONT");
    const lost: HolderEvent = await holders.waitFor((e) => e.ev === "lose" && e.name === first.name, "the woken holder to give the channel up");
    expect(["expired", "taken"]).toContain(lost.why);
    // a write carrying its old epoch is refused by the database
    await holders.waitFor((e) => e.ev === "fenced" && e.name === first.name && e.epoch === first.epoch, "the woken holder's stale write to be fenced");
    expect(holders.events.some((e) => e.ev === "stale-write-landed")).toBe(false);

    const killedAt = Date.now();
    holders.signal(second.name, "SIGKILL");
    const third = await holders.waitFor((e) => e.ev === "acquire" && e.epoch === second.epoch! + 1, "a takeover after kill -9");
    expect(third.name).not.toBe(second.name);
    expect(third.t - killedAt).toBeLessThan(TAKEOVER_BOUND_MS);
    await actsBy(third.name, third.epoch!, 3, holders);

    expect(holders.overlaps()).toEqual([]);
    expect(await dbOverlaps()).toEqual([]);
    // every acquisition was exclusive: epochs 1..n, each acquired once
    const epochs = holders.events.filter((e) => e.ev === "acquire").map((e) => e.epoch);
    expect(epochs).toEqual([...new Set(epochs)].sort((p, q) => p! - q!));
  }, 90_000);

  it("a clean stop hands the lease over at once, without waiting for the TTL", async () => {
    const account = "discord:handover";
    holders = new Holders(db.url, account);
    holders.spawn("p");
    const first = await holders.waitFor((e) => e.ev === "acquire", "p to hold");
    holders.spawn("q");
    await holders.waitFor((e) => e.ev === "joined" && e.name === "q", "q to join");
    holders.signal("p", "SIGTERM");
    await holders.waitFor((e) => e.ev === "stopped" && e.name === "p", "p to stop");
    const next = await holders.waitFor((e) => e.ev === "acquire" && e.name === "q", "q to take over");
    expect(next.epoch).toBe(first.epoch! + 1);
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM fleet_members WHERE id = 'p'");
    expect(rows[0].n).toBe(0); // p left the fleet
  }, 60_000);

  it("a gateway restarted on the same machine takes its killed previous life's channels back at once", async () => {
    const account = "telegram:restart";
    holders = new Holders(db.url, account);
    holders.spawn("before");
    const first = await holders.waitFor((e) => e.ev === "acquire", "the first life to hold");
    const child = holders.procs.get("before")!;
    const exited = new Promise((r) => child.once("exit", r));
    holders.signal("before", "SIGKILL");
    await exited;
    // when the killed life's lease would run out on the database's clock (it may have renewed up to its death)
    const { rows: held } = await pool.query<{ runs_out: Date }>("SELECT expires_at AS runs_out FROM fleet_leases WHERE resource = $1", [account]);
    holders.spawn("after");
    const next = await holders.waitFor((e) => e.ev === "acquire" && e.name === "after", "the next life to hold");
    expect(next.epoch).toBe(first.epoch! + 1);
    const { rows } = await pool.query<{ early: boolean }>("SELECT acquired_at < $2 AS early FROM fleet_leases WHERE resource = $1", [account, held[0]!.runs_out]);
    expect(rows[0]!.early).toBe(true); // not after waiting for the TTL
    const gone = await pool.query("SELECT 1 FROM fleet_members WHERE id = 'before'");
    expect(gone.rowCount).toBe(0);
  }, 60_000);
});
