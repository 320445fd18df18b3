// Takeover time after kill -9: two gateway stand-ins (test/fleet/lease-holder.ts,
// real processes) contend for one channel account's lease on PostgreSQL; the
// holder is killed with -9 at a different point of its renewal cycle each
// round, and the time until the other one holds the lease is measured.
// The bound is the lease TTL (6 s) plus one renewal round (2 s); the figure
// shows where in that window takeovers land on this machine.
//
//   node bench/fleet-takeover.ts [--rounds N]   (1–10, default 4)
//
// Server: SWITCHBOARD_TEST_PG_URL (a superuser URL) when set, else a
// throw-away cluster like the tests' (Debian's postgresql must be installed).
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import pg from "pg";
import { LEASE_RENEW_MS, LEASE_TTL_MS } from "../src/fleet/index.ts";
import { startCluster, stopCluster } from "../test/support/postgres-cluster.ts";
import { Holders } from "../test/fleet/holders.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const given = process.env.SWITCHBOARD_TEST_PG_URL;
  const cluster = given ? undefined : await startCluster();
  const server = given ?? cluster!.url;
  const name = `sb_bench_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    await admin.end();
    if (cluster) stopCluster(cluster.dir);
  }
}

export async function run(rounds = 4): Promise<number[]> {
  return withDatabase(async (url) => {
    const figures: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const h = new Holders(url, `telegram:bench${i}`);
      try {
        h.spawn("a");
        h.spawn("b");
        const first = await h.waitFor((e) => e.ev === "acquire", "a first holder");
        const other = first.name === "a" ? "b" : "a";
        await h.waitFor((e) => e.ev === "joined" && e.name === other, "the contender to join");
        // kill at a different point of the holder's renewal cycle each round
        await sleep(1000 + Math.round((i * LEASE_RENEW_MS) / rounds));
        const killedAt = Date.now();
        h.signal(first.name, "SIGKILL");
        const next = await h.waitFor((e) => e.ev === "acquire" && e.name === other, "the takeover", LEASE_TTL_MS + 3 * LEASE_RENEW_MS + 10_000);
        figures.push(next.t - killedAt);
        console.log(`round ${i + 1}: takeover ${((next.t - killedAt) / 1000).toFixed(2)} s after kill -9 (epoch ${first.epoch} → ${next.epoch})`);
      } finally {
        await h.killAll();
      }
    }
    const sorted = [...figures].sort((x, y) => x - y);
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log(
      `takeover after kill -9: min ${s(sorted[0]!)}, median ${s(sorted[Math.floor(sorted.length / 2)]!)}, max ${s(sorted.at(-1)!)} over ${rounds} rounds (lease TTL ${LEASE_TTL_MS / 1000} s, renewal every ${LEASE_RENEW_MS / 1000} s; bound ${(LEASE_TTL_MS + LEASE_RENEW_MS) / 1000} s)`,
    );
    return figures;
  });
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { rounds: { type: "string", default: "4" } } });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10) {
    console.error(`--rounds must be a whole number from 1 to 10, got ${values.rounds}`);
    process.exit(2);
  }
  await run(rounds);
}
