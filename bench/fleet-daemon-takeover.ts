// Takeover after kill -9 with real daemons: two `switchboard gateway`
// processes on one PostgreSQL database and one Telegram bot (the fake Bot
// API). The one polling the bot is killed with SIGKILL at a different point
// of its lease-renewal cycle each round; a person writes right after the
// kill. Two figures per round: kill → the other gateway's first getUpdates
// (the channel taken over) and kill → the reply to that message (what the
// person notices). The killed gateway is started again before the next round,
// so every round has a standby. bench/fleet-takeover.ts measures the lease
// alone with stand-in processes.
//
//   node bench/fleet-daemon-takeover.ts [--rounds N]   (1–10, default 3)
import { LEASE_RENEW_MS } from "../src/fleet/index.ts";
import { FleetRig } from "../test/fleet-e2e/rig.ts";
import { roundsFlag, spread, withServer, type BenchServer } from "./fleet-pg.ts";

export interface Takeovers {
  /** kill → first getUpdates by the other gateway, ms */
  poll: number[];
  /** kill → the reply to a message written just after the kill, ms */
  answer: number[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function daemonTakeovers(server: BenchServer, rounds: number): Promise<Takeovers> {
  const db = await server.database("takeover_daemons");
  const out: Takeovers = { poll: [], answer: [] };
  const rig = await FleetRig.start({ gateways: ["g1", "g2"], storeUrl: db.url, maxModelDelayMs: 0 });
  try {
    let owner = await rig.poller();
    rig.write(0, "wu0x0");
    await rig.waitAllAnswered(30_000);
    for (let i = 0; i < rounds; i++) {
      // kill at a different point of the owner's renewal cycle each round
      await sleep(500 + Math.round((i * LEASE_RENEW_MS) / rounds));
      const killedAt = await rig.kill(owner);
      const id = `tu0x${i + 1}`;
      rig.write(0, id);
      const next = await rig.takeover(killedAt, owner);
      await rig.tg.waitFor(() => (rig.answered(id) ? true : undefined), 30_000, () => `the reply to ${id}`);
      out.poll.push(next.ms);
      out.answer.push(Date.now() - killedAt);
      console.log(`round ${i + 1}: ${owner} killed; ${next.gateway} polls after ${(next.ms / 1000).toFixed(2)} s, the message written after the kill answered after ${((Date.now() - killedAt) / 1000).toFixed(2)} s`);
      await rig.restart(owner);
      owner = next.gateway;
    }
    const f = rig.figures(rounds);
    if (f.lost || f.twice) console.log(`takeover rounds: ${f.lost} message(s) lost, ${f.twice} answered twice: ${[...f.lostIds, ...f.twiceIds].join(" ")}`);
    return out;
  } finally {
    await rig.close();
    await db.drop();
  }
}

export async function run(rounds = 3): Promise<Takeovers> {
  return withServer(async (server) => {
    const t = await daemonTakeovers(server, rounds);
    console.log(`takeover after kill -9 (real daemons, ${rounds} rounds): channel polled again ${spread(t.poll)}; reply to a message written at the kill ${spread(t.answer)}`);
    return t;
  });
}

if (import.meta.main) await run(roundsFlag(3));
