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
import { LEASE_RENEW_MS, LEASE_TTL_MS } from "../src/fleet/index.ts";
import { Holders } from "../test/fleet/holders.ts";
import { roundsFlag, spread, withServer } from "./fleet-pg.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function run(rounds = 4): Promise<number[]> {
  return withServer(async (server) => {
    const db = await server.database("takeover");
    const url = db.url;
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
    await db.drop();
    console.log(
      `takeover after kill -9: ${spread(figures)} over ${rounds} rounds (lease TTL ${LEASE_TTL_MS / 1000} s, renewal every ${LEASE_RENEW_MS / 1000} s; bound ${(LEASE_TTL_MS + LEASE_RENEW_MS) / 1000} s)`,
    );
    return figures;
  });
}

if (import.meta.main) await run(roundsFlag(4));
