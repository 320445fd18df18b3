// The PostgreSQL server the fleet benchmarks run on, and what they read off
// it: SWITCHBOARD_TEST_PG_URL (a superuser URL) when set, else a throw-away
// cluster like the tests' (test/support/postgres-cluster.ts; Debian's
// postgresql must be installed). A private database per phase, and the CPU
// time of the server's processes, so a run can say whether PostgreSQL is
// where the time goes.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import pg from "pg";
import { startCluster, stopCluster } from "../test/support/postgres-cluster.ts";
import { cpuMs } from "./process-stats.ts";

export interface BenchDatabase {
  url: string;
  /** transactions committed in this database so far (pg_stat_database; the server flushes it about every second) */
  commits(): Promise<number>;
  drop(): Promise<void>;
}

export interface BenchServer {
  /** superuser URL of the default database */
  url: string;
  database(label: string): Promise<BenchDatabase>;
  /** CPU ms used so far by each of the server's processes (postmaster, backends, background workers) */
  cpu(): Promise<Map<number, number>>;
}

/** Runs `fn` with a server, stopping it afterwards when it was started here. */
export async function withServer<T>(fn: (server: BenchServer) => Promise<T>): Promise<T> {
  const given = process.env.SWITCHBOARD_TEST_PG_URL;
  const cluster = given ? undefined : await startCluster({ ownerPid: process.pid });
  const url = given ?? cluster!.url;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    return await fn({
      url,
      database: async (label) => {
        const name = `sb_bench_${label}_${randomBytes(4).toString("hex")}`;
        await admin.query(`CREATE DATABASE ${name}`);
        const u = new URL(url);
        u.pathname = `/${name}`;
        return {
          url: u.toString(),
          commits: async () => Number((await admin.query<{ n: string }>("SELECT xact_commit AS n FROM pg_stat_database WHERE datname = $1", [name])).rows[0]?.n ?? NaN),
          drop: () => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => undefined),
        };
      },
      cpu: async () => {
        const { rows } = await admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity");
        const pids = new Set(rows.map((r) => r.pid));
        // the postmaster: the parent of any backend
        for (const pid of [...pids].slice(0, 1)) pids.add(parentOf(pid));
        const out = new Map<number, number>();
        for (const pid of pids) {
          try {
            out.set(pid, cpuMs(pid));
          } catch {
            // ended between the query and the read
          }
        }
        return out;
      },
    });
  } finally {
    await admin.end().catch(() => {});
    if (cluster) stopCluster(cluster.dir);
  }
}

/** CPU ms the server used between two readings (processes that started in between count whole) */
export function cpuBetween(a: Map<number, number>, b: Map<number, number>): number {
  let sum = 0;
  for (const [pid, ms] of b) sum += ms - (a.get(pid) ?? 0);
  return sum;
}

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

/** "min 6.10 s, median 7.00 s, max 7.90 s" */
export function spread(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const t = (x: number) => `${(x / 1000).toFixed(2)} s`;
  return s.length ? `min ${t(s[0]!)}, median ${t(s[Math.floor(s.length / 2)]!)}, max ${t(s.at(-1)!)}` : "none";
}

/** --rounds N (1–10) from the command line; exits 2 naming the flag when it is not */
export function roundsFlag(fallback: number): number {
  const { values } = parseArgs({ options: { rounds: { type: "string", default: String(fallback) } } });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10) {
    console.error(`--rounds must be a whole number from 1 to 10, got ${values.rounds}`);
    process.exit(2);
  }
  return rounds;
}
