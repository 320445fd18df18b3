// Several gateways on one PostgreSQL, measured: messages/s with 1, 2 and 3
// real daemons (`switchboard gateway`) sharing one database and one Telegram
// bot, beside one daemon on its embedded SQLite store, in the same run (so
// the ratios hold on a noisy machine), then the takeover time after kill -9
// (bench/fleet-daemon-takeover.ts). Each phase offers a burst from N people to
// an instant fake model and waits until all are answered
// (bench/process-stats.ts offerBurst), reading the CPU time of every gateway,
// of the PostgreSQL server's processes and of this process (the fakes) to say
// where the time goes: on 2 cores the figures plateau, and the CPU shares show
// which process is the bottleneck.
//   SWITCHBOARD_BENCH_FLEET_MESSAGES   messages per phase (default 1,000)
//   SWITCHBOARD_BENCH_FLEET_ROUNDS     takeover rounds (default 3)
// The PostgreSQL server is the tests' throw-away cluster (fsync off) unless
// SWITCHBOARD_TEST_PG_URL names one.
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { FleetRig } from "../test/fleet-e2e/rig.ts";
import { daemonTakeovers } from "./fleet-daemon-takeover.ts";
import { cpuBetween, spread, withServer, type BenchServer } from "./fleet-pg.ts";
import { cpuMs, offerBurst } from "./process-stats.ts";

interface PhaseFigures {
  label: string;
  throughput: number;
  answered: number;
  lost: number;
  seconds: number;
  /** CPU ms per message: each gateway (poller first), PostgreSQL, this process (fakes and doors) */
  cpu: { gateways: { name: string; poller: boolean; msPerMsg: number; coreShare: number }[]; postgres: number; bench: number };
  /** share of the machine's cores busy during the burst (all processes, other users' too) */
  machineBusy: number;
  /** PostgreSQL transactions committed per message (every gateway's, coordination included) */
  commitsPerMsg: number;
  /** model calls (turns) per gateway during the burst */
  turns: Record<string, number>;
}

const WARM_UP = 30;

export async function run(): Promise<void> {
  const total = Number(process.env.SWITCHBOARD_BENCH_FLEET_MESSAGES ?? 1000);
  const rounds = Number(process.env.SWITCHBOARD_BENCH_FLEET_ROUNDS ?? 3);
  if (!Number.isInteger(total) || total < 10) throw new Error(`SWITCHBOARD_BENCH_FLEET_MESSAGES must be a whole number ≥ 10, got ${process.env.SWITCHBOARD_BENCH_FLEET_MESSAGES}`);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10) throw new Error(`SWITCHBOARD_BENCH_FLEET_ROUNDS must be a whole number from 1 to 10, got ${process.env.SWITCHBOARD_BENCH_FLEET_ROUNDS}`);
  const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");
  console.log(`${availableParallelism()} cores; load average at start: ${load()}`);
  await withServer(async (server) => {
    const sqlite = await phase("SQLite, 1 gateway", undefined, 1, total);
    const pgs: PhaseFigures[] = [];
    for (const n of [1, 2, 3]) pgs.push(await phase(`PostgreSQL, ${n} gateway${n > 1 ? "s" : ""}`, server, n, total));
    const takeovers = await daemonTakeovers(server, rounds);
    const [one, two, three] = pgs as [PhaseFigures, PhaseFigures, PhaseFigures];
    const r = (x: number) => `${x.toFixed(2)}×`;
    console.log(
      `\nsummary (${total} messages per phase): SQLite 1 gateway ${sqlite.throughput.toFixed(0)} msg/s; PostgreSQL 1/2/3 gateways ` +
        `${one.throughput.toFixed(0)}/${two.throughput.toFixed(0)}/${three.throughput.toFixed(0)} msg/s = ${r(one.throughput / sqlite.throughput)} SQLite, ` +
        `2 vs 1 ${r(two.throughput / one.throughput)}, 3 vs 1 ${r(three.throughput / one.throughput)}; ` +
        `takeover after kill -9: polled again ${spread(takeovers.poll)}, answered ${spread(takeovers.answer)}; ` +
        `lost: ${[sqlite, ...pgs].map((p) => p.lost).join("/")}; load ${load()}`,
    );
    console.log(`bottleneck: ${verdict(sqlite, pgs)}`);
  });
}

async function phase(label: string, server: BenchServer | undefined, n: number, total: number): Promise<PhaseFigures> {
  const db = server ? await server.database(`tp${n}`) : undefined;
  const names = Array.from({ length: n }, (_, i) => `g${i + 1}`);
  const rig = await FleetRig.start({ gateways: names, storeUrl: db?.url, maxModelDelayMs: 0 });
  try {
    const poller = await rig.poller();
    for (let i = 0; i < WARM_UP; i++) rig.write(i, `wu${i}x0`);
    await rig.waitAllAnswered(60_000);
    // the server publishes its counters about once a second: let the warm-up's arrive before the first reading
    if (db) await new Promise((r) => setTimeout(r, 1500));
    const pids = rig.alive().map((g) => ({ name: g.name, pid: g.daemon.child.pid! }));
    const gw0 = pids.map((p) => cpuMs(p.pid));
    const pg0 = server ? await server.cpu() : undefined;
    const commits0 = db ? await db.commits() : NaN;
    const self0 = process.cpuUsage();
    const machine0 = machineTicks();
    const turns0 = rig.ledger.byGateway();
    const burst = await offerBurst({ tg: rig.tg, token: rig.tg.token, firstUser: 1_000_000, total, pid: pids.find((p) => p.name === poller)!.pid, label });
    const wall = burst.seconds * 1000;
    const per = (ms: number) => ms / Math.max(1, burst.answered);
    const gateways = pids.map((p, i) => {
      const ms = cpuMs(p.pid) - gw0[i]!;
      return { name: p.name, poller: p.name === poller, msPerMsg: per(ms), coreShare: ms / wall };
    });
    gateways.sort((a, b) => Number(b.poller) - Number(a.poller));
    const pgMs = server && pg0 ? cpuBetween(pg0, await server.cpu()) : 0;
    const self = process.cpuUsage(self0);
    const machine = machineTicks();
    if (db) await new Promise((r) => setTimeout(r, 1500));
    const commits = db ? ((await db.commits()) - commits0) / Math.max(1, burst.answered) : NaN;
    const turns1 = rig.ledger.byGateway();
    const turns = Object.fromEntries(names.map((g) => [g, (turns1[g] ?? 0) - (turns0[g] ?? 0)]));
    const f: PhaseFigures = {
      label,
      throughput: burst.throughput,
      answered: burst.answered,
      lost: burst.lost,
      seconds: burst.seconds,
      cpu: { gateways, postgres: per(pgMs), bench: per((self.user + self.system) / 1000) },
      machineBusy: (machine.busy - machine0.busy) / Math.max(1, machine.total - machine0.total),
      commitsPerMsg: commits,
      turns,
    };
    console.log(
      `${label}: ${f.answered}/${total} answered in ${f.seconds.toFixed(1)} s = ${f.throughput.toFixed(0)} msg/s; CPU ms per message: ` +
        `${gateways.map((g) => `${g.name}${g.poller ? " (poller)" : ""} ${g.msPerMsg.toFixed(2)} (${(g.coreShare * 100).toFixed(0)}% of a core)`).join(", ")}` +
        `${server ? `, PostgreSQL ${f.cpu.postgres.toFixed(2)} (${((pgMs / wall) * 100).toFixed(0)}% of a core, ${commits.toFixed(1)} commits per message)` : ""}, fakes ${f.cpu.bench.toFixed(2)}; ` +
        `machine ${(f.machineBusy * 100).toFixed(0)}% busy; turns by gateway ${JSON.stringify(turns)}`,
    );
    return f;
  } finally {
    await rig.close();
    await db?.drop();
  }
}

/** CPU ms per message of every process the phase ran (gateways, PostgreSQL, the fakes) */
function totalCpu(f: PhaseFigures): number {
  return f.cpu.gateways.reduce((s, g) => s + g.msPerMsg, 0) + f.cpu.postgres + f.cpu.bench;
}

/** messages/s the machine's cores could carry if they ran only this phase's processes (CPU time does not depend on other users' load) */
function ceiling(f: PhaseFigures): number {
  return (availableParallelism() * 1000) / totalCpu(f);
}

/**
 * Where the time goes: a process that used nearly a whole core is the
 * bottleneck (the poller reads and stores every update of the bot); else the
 * machine's cores are, and then what bounds the fleet is the CPU each message
 * costs all processes together, which grows with the gateways' coordination.
 */
function verdict(sqlite: PhaseFigures, pgs: PhaseFigures[]): string {
  const big = pgs.at(-1)!;
  const consumers = [
    ...big.cpu.gateways.map((g) => ({ what: `gateway ${g.name}${g.poller ? " (the poller)" : ""}`, ms: g.msPerMsg, share: g.coreShare })),
    { what: "PostgreSQL", ms: big.cpu.postgres, share: (big.cpu.postgres * big.answered) / (big.seconds * 1000) },
    { what: "the fakes (bench process)", ms: big.cpu.bench, share: (big.cpu.bench * big.answered) / (big.seconds * 1000) },
  ].sort((a, b) => b.ms - a.ms);
  const sum = consumers.reduce((s, c) => s + c.ms, 0);
  const shares = consumers.map((c) => `${c.what} ${((c.ms / sum) * 100).toFixed(0)}%`).join(", ");
  const saturated = consumers.find((c) => c.share >= 0.85);
  const costs = [sqlite, ...pgs].map((f) => `${f.label} ${totalCpu(f).toFixed(1)} ms → ${ceiling(f).toFixed(0)} msg/s`).join("; ");
  const turns = Object.entries(big.turns).map(([g, n]) => `${g} ${n}`).join(", ");
  const where = saturated
    ? `${saturated.what} used ${(saturated.share * 100).toFixed(0)}% of a core: it is the bottleneck`
    : `no process used a whole core while the machine's cores were ${(big.machineBusy * 100).toFixed(0)}% busy: the bound is the cores, shared by every process`;
  return `${where}. With ${big.cpu.gateways.length} gateways CPU per message went to ${shares}; turns ran on ${turns}. ` +
    `CPU per message of all processes together, and the rate ${availableParallelism()} cores could carry at that cost: ${costs}`;
}

/** busy and total clock ticks of the whole machine (/proc/stat) */
function machineTicks(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = line.reduce((s, x) => s + x, 0);
  const idle = (line[3] ?? 0) + (line[4] ?? 0);
  return { busy: total - idle, total };
}


if (import.meta.main) await run();
