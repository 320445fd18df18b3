// Issue 17's proof with real daemons: two, then three `switchboard gateway`
// processes on ONE PostgreSQL database, one Telegram bot (the fake Bot API)
// and the fake model. While people write, the gateway that polls the bot is
// killed with SIGKILL, and the run checks what a user would notice:
//   - one gateway polls the bot at a time (Telegram never answers 409)
//   - another gateway takes the bot over within 10 s of the kill
//   - every message is answered exactly once (a reply chunk sent again in
//     the platform's send window is counted apart, as in the crash suite)
//   - one chat's turns never run at the same time (the model never sees two
//     overlapping calls of one chat)
//   - a cron job due while the gateways start, and one due while they run,
//     fire once across the fleet
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openPgStore } from "../../src/store/pg/index.ts";
import { waitFor } from "../e2e/daemon.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { messageId } from "./model-ledger.ts";
import { FIRST_CHAT, FleetRig } from "./rig.ts";

/** the bound issue 17 sets for a takeover after kill -9 */
const TAKEOVER_BOUND_MS = 10_000;
const PEOPLE = 4;
const CRON_CHAT = FIRST_CHAT + 90;

let db: TestDatabase;
let rig: FleetRig | undefined;

beforeEach(async () => {
  db = await createTestDatabase("fleet_e2e");
});
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  await db.drop();
});

/** the part of /status this file reads (src/fleet/status.ts FleetStatus) */
interface FleetView {
  members: { id: string; pid: number; alive: boolean }[];
  channels: { account: string; owner: string | null }[];
}

/** Puts one-shot cron jobs in the shared store before any gateway starts: `due` ms from now each. */
async function scheduleCron(url: string, jobs: { text: string; due: number }[]): Promise<void> {
  const store = await openPgStore(url, { max: 1 });
  try {
    const now = Date.now();
    for (const j of jobs) {
      await store.cron.add({
        schedule: { kind: "at", at: now + j.due },
        payload: { kind: "agent", message: j.text },
        origin: { channel: "telegram", chatId: String(CRON_CHAT) },
        nextRunAt: now + j.due,
        createdAt: now,
      });
    }
  } finally {
    await store.close();
  }
}

/** Each person writes `perPerson` messages in a burst; ids are tagged `tag`. */
function burst(r: FleetRig, tag: string, perPerson: number): void {
  for (let i = 0; i < perPerson; i++) for (let u = 0; u < PEOPLE; u++) r.write(u, messageId(tag, u, i));
}

/** One fleet run: `size` gateways, `kills` owners killed one after another mid-traffic. */
async function fleetRun(size: number, kills: number): Promise<void> {
  // A is due before any gateway is up: every gateway's first pass finds it due at once. B comes due while they run.
  await scheduleCron(db.url, [
    { text: "cron-A", due: 500 },
    { text: "cron-B", due: 6000 },
  ]);
  const names = Array.from({ length: size }, (_, i) => `g${i + 1}`);
  rig = await FleetRig.start({ gateways: names, storeUrl: db.url, maxModelDelayMs: 250 });
  const r = rig;
  let owner = await r.poller();

  // everyone says hello once, and both cron jobs have run, before the kills
  burst(r, "h", 1);
  await r.waitAllAnswered(30_000);
  // answered, not only asked: a cron run killed between its model call and storing its answer
  // is not run again (a run fires at most once), so the kills wait until both answers went out
  const cronAnswered = (text: string) => r.tg.sent.some((m) => String(m.chat_id) === String(CRON_CHAT) && (m.text ?? "").includes(text));
  await waitFor(() => (cronAnswered("cron-A") && cronAnswered("cron-B") ? true : undefined), "both cron jobs to run and be answered", 30_000);

  // said early, so a fleet that does not coordinate fails on what is wrong rather than on a symptom
  expect(r.watch.overlaps, "two gateways polled the bot at once").toEqual([]);
  expect(r.watch.conflicts, "getUpdates answered 409").toBe(0);

  // a standby is healthy (its store is open; the channel runs elsewhere): what the image's HEALTHCHECK asks
  for (const g of r.alive()) await waitFor(async () => (await fetch(`${g.daemon.url}/ready`)).status === 200 || undefined, `${g.name} /ready`, 15_000);

  const takeovers: number[] = [];
  for (let k = 0; k < kills; k++) {
    burst(r, `k${k}`, 3);
    // mid-traffic: some of this round answered, turns still running
    await waitFor(() => (r.written.filter((id) => id.startsWith(`k${k}`) && r.answered(id)).length >= 2 ? true : undefined), `round ${k} under way`, 30_000);
    const killedAt = await r.kill(owner);
    // written while nobody polls: Telegram keeps them for the next poller
    burst(r, `d${k}`, 1);
    const next = await r.takeover(killedAt, owner);
    takeovers.push(next.ms);
    owner = next.gateway;
  }
  burst(r, "z", 2);
  await r.waitAllAnswered(45_000);
  // the survivors' outboxes are empty: nothing is still on its way that could arrive twice
  for (const g of r.alive()) {
    await waitFor(async () => ((await r.status(g.name)).queues as { outboundPending?: number } | undefined)?.outboundPending === 0 || undefined, `${g.name}'s outbox to drain`, 20_000);
  }

  // /status on the last owner shows the fleet: the channel is its own, every killed gateway is dead
  const pidOf = (name: string) => r.gateways.get(name)!.daemon.child.pid;
  await waitFor(
    async () => {
      const fleet = (await r.status(owner)).fleet as FleetView | undefined;
      const holder = fleet?.channels.find((c) => c.account.startsWith("telegram:"))?.owner;
      const member = (name: string) => fleet?.members.find((m) => m.pid === pidOf(name));
      const killed = names.filter((n) => !r.gateways.get(n)!.alive);
      return holder && holder === member(owner)?.id && killed.every((n) => member(n)?.alive === false) ? true : undefined;
    },
    `/status of ${owner} to show it owns the channel and the killed gateways dead`,
    15_000,
  );

  const figures = r.figures(kills);
  const report = `${size} gateways: takeovers ${takeovers.map((ms) => `${ms} ms`).join(", ")}; ${JSON.stringify(figures)}; model calls by gateway ${JSON.stringify(r.ledger.byGateway())}; polls by gateway ${names.map((n) => `${n}=${r.watch.pollsBy(n)}`).join(" ")}`;
  console.log(report);

  expect(r.watch.overlaps, "two gateways polled the bot at once").toEqual([]);
  expect(r.watch.maxConcurrentPollers).toBe(1);
  expect(r.watch.conflicts, "getUpdates answered 409").toBe(0);
  for (const ms of takeovers) expect(ms, report).toBeLessThan(TAKEOVER_BOUND_MS);
  expect(figures.lostIds, report).toEqual([]);
  expect(figures.twiceIds, report).toEqual([]);
  expect(figures.once).toBe(r.written.length);
  // a reply chunk Telegram got twice was first sent by a gateway killed before it could record it
  expect(r.watch.sentTwiceOutsideWindow(r.ledger.kills()), report).toEqual([]);
  expect(r.ledger.sessionOverlaps(), report).toEqual([]);
  // each cron job: one turn, one answer, across the whole fleet
  for (const text of ["cron-A", "cron-B"]) {
    expect(r.ledger.callsWith(text), `${text} turns`).toHaveLength(1);
    const n = r.ledger.callsWith(text)[0]!.n;
    // one distinct answer (the same chunk twice would be the send window, counted apart above)
    const answers = [...new Set(r.tg.sent.filter((m) => String(m.chat_id) === String(CRON_CHAT) && (m.text ?? "").includes(text)).map((m) => m.text))];
    expect(answers, `${text} answers`).toHaveLength(1);
    expect(answers[0]).toMatch(new RegExp(`^ack n${n} ::`));
  }
}

describe("several gateways on one PostgreSQL, real daemons", () => {
  it("two gateways: the poller is killed mid-traffic, the other takes over; every message answered once", () => fleetRun(2, 1), 60_000);
  it("three gateways: the poller is killed twice mid-traffic; every message answered once, cron fires once", () => fleetRun(3, 2), 80_000);
});
