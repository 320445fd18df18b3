// `npm run chaos`: the crash suite at length. For every channel, the real
// daemon with its fake platform is killed with SIGKILL at random moments
// while people write, restarted, and every message is counted: answered
// once, lost, or answered twice (plus reply chunks re-sent in the platform's
// send window). Bounded: --kills per channel (default 20), --per-round
// messages between kills (default 4). Prints figures; exits 1 when any
// message was lost or answered twice.
// --trace <file> writes every write, kill, model call and reply there, to
// find out why a message was lost or answered twice.
//   node bench/chaos.ts [--kills 20] [--per-round 4] [--channels telegram,discord] [--trace chaos.log]
import { appendFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { CHAOS_CHANNELS, formatFigures, runChaos, type ChaosChannel, type ChaosFigures } from "../test/chaos/harness.ts";

const { values } = parseArgs({
  options: {
    kills: { type: "string", default: "20" },
    "per-round": { type: "string", default: "4" },
    channels: { type: "string", default: CHAOS_CHANNELS.join(",") },
    trace: { type: "string" },
  },
});
const traceFile = values.trace;
if (traceFile) writeFileSync(traceFile, "");
const kills = Number(values.kills);
const perRound = Number(values["per-round"]);
if (!Number.isInteger(kills) || kills < 1 || kills > 500) throw new Error(`--kills must be a whole number from 1 to 500, got ${values.kills}`);
if (!Number.isInteger(perRound) || perRound < 1 || perRound > 50) throw new Error(`--per-round must be a whole number from 1 to 50, got ${values["per-round"]}`);
const channels = values.channels.split(",").map((c) => c.trim()) as ChaosChannel[];
for (const c of channels) if (!CHAOS_CHANNELS.includes(c)) throw new Error(`unknown channel "${c}"; choose from ${CHAOS_CHANNELS.join(", ")}`);

// the figures do not depend on the machine's speed, but how long they take does
console.log(`load average at start: ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
const results: ChaosFigures[] = [];
for (const channel of channels) {
  const started = Date.now();
  const f = await runChaos({
    channel,
    kills,
    perRound,
    maxKillDelayMs: 900,
    maxModelDelayMs: 400,
    log: (l) => process.stderr.write(`${l}\n`),
    ...(traceFile ? { trace: (l: string) => appendFileSync(traceFile, `${channel} ${l}\n`) } : {}),
  });
  results.push(f);
  console.log(`${formatFigures(f)}  (${Math.round((Date.now() - started) / 1000)} s)`);
  if (f.lostIds.length) console.log(`  lost: ${f.lostIds.join(" ")}`);
  if (f.twiceIds.length) console.log(`  twice: ${f.twiceIds.join(" ")}`);
}
console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
const bad = results.some((f) => f.lost > 0 || f.twice > 0);
console.log(bad ? "chaos: some messages were lost or answered twice" : "chaos: every message answered exactly once");
process.exit(bad ? 1 : 0);
