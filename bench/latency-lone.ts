// Where the time of a lone message goes. The daemon runs as in
// bench/gateway.ts (Telegram + Discord against the fakes, an instant fake
// model, the service's memory settings), and messages are sent one at a time,
// each waited for, as in that bench's "overhead per message" figure. Each
// message gets a timeline read off the fakes:
//   poll   message queued → the getUpdates that carries it answered
//   model  → the model request arrives at the fake model (stored, turn scheduled, request built)
//   send   → sendMessage arrives at the fake Telegram (answer parsed, committed, outbox)
// Beside the end-to-end time, the daemon's main thread's own CPU time per
// message and the end-to-end time minus the time that thread waited for a
// CPU (Linux schedstat): figures that other processes' load moves much less.
// The daemon is preloaded with bench/latency-probe.ts, so the slowest
// messages are printed with what happened inside the daemon meanwhile (slow
// SQLite calls and checkpoints, GC, HTTP calls).
//   node bench/latency-lone.ts                (or `npm run bench latency`)
//   SWITCHBOARD_LATENCY_MESSAGES  messages counted per run (default 300), after the run's warm-up ones
//                                  (SWITCHBOARD_BENCH_LONE_WARM_UP, default 2,000: see LONE_WARM_UP)
//   SWITCHBOARD_LATENCY_RUNS      runs, each on a freshly started daemon (default 3)
//   SWITCHBOARD_LATENCY_SLOW      slowest messages of each run shown with their events (default 5)
//   SWITCHBOARD_LATENCY_PROBE=0  without the probe: the figures without its cost, and no events
//   SWITCHBOARD_LATENCY_PROBE_STALLS=1  also record event-loop stalls (a 1 ms timer in the daemon)
//   SWITCHBOARD_LATENCY_GAP_MS    a pause after each answer before the next message (default 0: at once, as
//                                  in the gateway suite; a person takes seconds, and work the daemon leaves for
//                                  a quiet moment, such as a scavenge, then falls between messages)
//   SWITCHBOARD_LATENCY_NODE_OPTIONS  more Node options for the daemon (e.g. --cpu-prof --cpu-prof-dir=/tmp/p)
//   SWITCHBOARD_LATENCY_DUMP     writes each run's timelines and probe events to <this>.<run>.json
//   SWITCHBOARD_LATENCY_ALLOC_PROFILE  writes what the daemon allocated during each run's messages (a
//                                  sampling heap profile, collected objects included) to <this>.<run>.heapprofile
//   SWITCHBOARD_LATENCY_SUMMARY_MS  the fake model takes this long to answer a compaction's summary
//                                  request (default 0: instant, like every other answer); a real model
//                                  takes seconds, and a message that waits for it shows that here
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeDiscord } from "../test/fakes/discord/server.ts";
import { startFakeLlm } from "../test/fakes/fake-llm.ts";
import { FakeTelegramApi } from "../test/fakes/telegram-api.ts";
import { startDaemon, waitFor, writeConfig, type RunningDaemon } from "../test/e2e/daemon.ts";
import { MEMORY_NODE_FLAGS } from "../src/cli/service.ts";
import { percentile } from "./stats.ts";
import { forgetFakeRecords, MEMORY_VARIABLES, rssMb } from "./process-stats.ts";
import { sharedClock } from "./latency-clock.ts";
import { daemonCodeText } from "./daemon-code.ts";
import { machineLoad, memoryStepNs, memoryStepText } from "./machine-speed.ts";
import { LONE_WARM_UP, schedstat, type Sched } from "./latency-sched.ts";
import type { ProbeEvent } from "./latency-probe.ts";
import { SUMMARY_INSTRUCTION } from "../src/agent/compaction.ts";

const BOT = "7000001:bench-latency";
/** SWITCHBOARD_LATENCY_PROBE=0 leaves it out (no events then): its wrapper around every SQLite call costs CPU of its own */
const PROBE = process.env.SWITCHBOARD_LATENCY_PROBE === "0" ? "" : `--import=${join(import.meta.dirname, "latency-probe.ts")}`;
const clock = sharedClock();
/** without /proc (not Linux): no CPU or wait figures, the end-to-end ones as they are */
const NO_SCHED: Sched = { run: 0, wait: 0 };

interface Timeline {
  queued: number;
  polled: number;
  model: number;
  sent: number;
  done: number;
  /** a compaction's summary request reached the model while this message was under way */
  summaryDuring: boolean;
  /** ms the daemon's main thread ran on a CPU meanwhile (its own work, whatever the load) */
  cpu: number;
  /** ms it was ready to run but waited for a CPU (other processes' load) */
  runqueue: number;
  /** ms this process (the fakes, the bench's clock) waited for a CPU meanwhile */
  fakesWait: number;
}

export interface LatencyFigures {
  n: number;
  median: number;
  p90: number;
  p99: number;
  max: number;
}

export function figures(samples: number[]): LatencyFigures {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, median: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN };
}

const f1 = (ms: number) => ms.toFixed(ms < 10 ? 2 : 1);
const line = (label: string, f: LatencyFigures) => `${label.padEnd(28)} median ${f1(f.median).padStart(6)}  p90 ${f1(f.p90).padStart(6)}  p99 ${f1(f.p99).padStart(6)}  max ${f1(f.max).padStart(6)} ms  (n=${f.n})`;

export async function run(): Promise<void> {
  const perRun = Number(process.env.SWITCHBOARD_LATENCY_MESSAGES ?? 300);
  const runs = Number(process.env.SWITCHBOARD_LATENCY_RUNS ?? 3);
  const slowShown = Number(process.env.SWITCHBOARD_LATENCY_SLOW ?? 5);
  const gapMs = Number(process.env.SWITCHBOARD_LATENCY_GAP_MS ?? 0);
  const home = mkdtempSync(join(tmpdir(), "sb-bench-lat-"));
  const llm = await startFakeLlm();
  const tg = await FakeTelegramApi.start({ bots: [{ token: BOT }] });
  const dc = await FakeDiscord.start();
  let modelAt = 0;
  let summaries = 0;
  const summaryMs = Number(process.env.SWITCHBOARD_LATENCY_SUMMARY_MS ?? 0);
  llm.setDefault((req) => {
    if (isSummary(req.body)) {
      summaries++;
      return { reply: "- the user sent numbered pings", ...(summaryMs > 0 ? { delayMs: summaryMs } : {}) };
    }
    modelAt = clock();
    return { reply: "ok" };
  });
  // when each getUpdates arrived at the fake, and the last sendMessage
  const pollTimes: number[] = [];
  let sentAt = 0;
  const record = tg.calls.push.bind(tg.calls);
  tg.calls.push = (...calls) => {
    for (const c of calls) {
      const method = c.method.toLowerCase();
      if (method === "getupdates") pollTimes.push(clock());
      else if (method === "sendmessage") sentAt = clock();
    }
    return record(...calls);
  };
  const all: number[] = [];
  const slowCauses: string[][] = [];
  const phases = { poll: [] as number[], model: [] as number[], send: [] as number[], plain: [] as number[], summary: [] as number[], cpu: [] as number[], corrected: [] as number[], bothCorrected: [] as number[] };
  console.log(`machine load average at start: ${machineLoad()}; ${memoryStepText(memoryStepNs())}; ${daemonCodeText()}`);
  try {
    for (let r = 0; r < runs; r++) {
      const runHome = join(home, `run-${r}`);
      const daemon = await start(runHome, tg, dc, `${llm.url}/v1`);
      try {
        const lat: number[] = [];
        const timelines: Timeline[] = [];
        for (let i = 0; i < LONE_WARM_UP + perRun; i++) {
          // the fakes' records of the messages before: a bench process whose heap grows with every
          // message collects more and more often, on the same two cores as the daemon
          forgetFakeRecords(tg, llm);
          // the probe's events and allocation profile of the warm-up are left out
          if (i === LONE_WARM_UP) await probeEvents(daemon, join(runHome, "probe.json"));
          const summariesBefore = summaries;
          sentAt = 0;
          const sched0 = schedstat(daemon.child.pid!) ?? NO_SCHED;
          const fakes0 = schedstat(process.pid) ?? NO_SCHED;
          const polls = pollTimes.length;
          const held = tg.heldPolls(BOT) > 0;
          const queued = clock();
          tg.userMessage({ token: BOT, chatId: 500, fromId: 500, text: `ping ${i}` });
          await tg.waitForSent(1, 10_000);
          const done = clock();
          const sched1 = schedstat(daemon.child.pid!) ?? NO_SCHED;
          const fakes1 = schedstat(process.pid) ?? NO_SCHED;
          if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
          if (i < LONE_WARM_UP) continue;
          // carried by the poll held when it was queued, or else by the next poll to arrive
          const polled = held ? queued : (pollTimes[polls] ?? queued);
          const sent = sentAt || done;
          lat.push(done - queued);
          timelines.push({
            queued, polled, model: modelAt, sent, done, summaryDuring: summaries > summariesBefore,
            cpu: sched1.run - sched0.run, runqueue: sched1.wait - sched0.wait, fakesWait: fakes1.wait - fakes0.wait,
          });
        }
        const events = await probeEvents(daemon, join(runHome, "probe.json"));
        if (process.env.SWITCHBOARD_LATENCY_DUMP) writeFileSync(`${process.env.SWITCHBOARD_LATENCY_DUMP}.${r}.json`, JSON.stringify({ timelines, events }));
        all.push(...lat);
        phases.poll.push(...timelines.map((t) => t.polled - t.queued));
        phases.model.push(...timelines.map((t) => t.model - t.polled));
        phases.send.push(...timelines.map((t) => t.sent - t.model));
        phases.cpu.push(...timelines.map((t) => t.cpu));
        phases.corrected.push(...timelines.map((t) => Math.max(0, t.done - t.queued - t.runqueue)));
        phases.bothCorrected.push(...timelines.map((t) => Math.max(0, t.done - t.queued - t.runqueue - t.fakesWait)));
        phases.plain.push(...timelines.filter((t) => !t.summaryDuring).map((t) => t.done - t.queued));
        phases.summary.push(...timelines.filter((t) => t.summaryDuring).map((t) => t.done - t.queued));
        slowCauses.push(...causesOfSlow(timelines, events));
        console.log(`\nrun ${r + 1}: ${line("lone message, end to end", figures(lat))}; idle RSS ${daemon.idleRss.toFixed(1)} MB`);
        if (process.env.SWITCHBOARD_LATENCY_PROBE_MIN_MS === "0") showTypical(timelines, events);
        showSlowest(timelines, events, slowShown);
        console.log(`  events in the run: ${summarizeEvents(events)}`);
      } finally {
        await daemon.stop();
      }
    }
    console.log(`\nall runs (load ${machineLoad()}):`);
    console.log(line("lone message, end to end", figures(all)));
    console.log(line("  minus the daemon's CPU waits", figures(phases.corrected)));
    // a lower bound: when both waited at the same moment, that time is taken off twice
    console.log(line("  minus the fakes' CPU waits too", figures(phases.bothCorrected)));
    console.log(line("  daemon main thread CPU", figures(phases.cpu)));
    console.log(line("  no summary request meanwhile", figures(phases.plain)));
    console.log(line("  a summary request meanwhile", figures(phases.summary)));
    console.log(line("  queued → polled", figures(phases.poll)));
    console.log(line("  polled → model request", figures(phases.model)));
    console.log(line("  model → sendMessage", figures(phases.send)));
    console.log(slowLine(slowCauses, all.length));
  } finally {
    await Promise.all([llm.close(), tg.close(), dc.close()]);
    rmSync(home, { recursive: true, force: true });
  }
}

async function start(home: string, tg: FakeTelegramApi, dc: FakeDiscord, llmBase: string): Promise<RunningDaemon & { idleRss: number }> {
  mkdirSync(home, { recursive: true });
  writeConfig(home, {
    model_list: [{ model_name: "m", model: "openai/m", api_base: llmBase }],
    agents: { defaults: { model_name: "m" } },
    gateway: { max_turns_in_flight: 8 },
    channels: {
      telegram: { enabled: true, token: BOT, api_base: tg.url, allow_from: ["*"] },
      discord: { enabled: true, token: dc.token, api_base: dc.apiBase, allow_from: ["*"] },
    },
  });
  const env = {
    SWITCHBOARD_LOG_LEVEL: "warn",
    NODE_COMPILE_CACHE: join(home, "..", "compile-cache"),
    ...MEMORY_VARIABLES,
    NODE_OPTIONS: [PROBE, MEMORY_NODE_FLAGS, process.env.SWITCHBOARD_LATENCY_NODE_OPTIONS ?? ""].join(" ").trim(),
    SWITCHBOARD_LATENCY_PROBE_FILE: join(home, "probe.json"),
    SWITCHBOARD_LATENCY_PROBE_STALLS: process.env.SWITCHBOARD_LATENCY_PROBE_STALLS ?? "",
    SWITCHBOARD_LATENCY_PROBE_MIN_MS: process.env.SWITCHBOARD_LATENCY_PROBE_MIN_MS ?? "",
    SWITCHBOARD_LATENCY_V8_FLAGS: process.env.SWITCHBOARD_LATENCY_V8_FLAGS ?? "",
    SWITCHBOARD_LATENCY_ALLOC_PROFILE: process.env.SWITCHBOARD_LATENCY_ALLOC_PROFILE ? `${process.env.SWITCHBOARD_LATENCY_ALLOC_PROFILE}.${home.split("-").at(-1)}.heapprofile` : "",
  };
  const daemon = await startDaemon(home, env, [], { startTimeoutMs: 120_000 });
  await waitFor(async () => (await fetch(`${daemon.url}/ready`)).status === 200 || undefined, "/ready", 120_000);
  // the warm-up after ready (model SDK preload) is not part of any message
  await new Promise((r) => setTimeout(r, 1500));
  await probeEvents(daemon, join(home, "probe.json"));
  return Object.assign(daemon, { idleRss: rssMb(daemon.child.pid!) });
}

/** the probe's events since the last call (it writes them on SIGUSR2) */
async function probeEvents(daemon: RunningDaemon, file: string): Promise<ProbeEvent[]> {
  if (!PROBE) return [];
  const stamp = () => {
    try {
      return readFileSync(file, "utf8");
    } catch {
      return undefined;
    }
  };
  const before = stamp();
  daemon.child.kill("SIGUSR2");
  // the probe writes the file in place: a read in the middle of its write sees part of it, so wait for whole JSON
  return waitFor(() => {
    const now = stamp();
    if (now === undefined || now === before) return undefined;
    try {
      return JSON.parse(now) as ProbeEvent[];
    } catch {
      return undefined;
    }
  }, "the latency probe's events", 10_000).catch((): ProbeEvent[] => []);
}

function showSlowest(timelines: Timeline[], events: ProbeEvent[], count: number): void {
  const slow = [...timelines].sort((a, b) => b.done - b.queued - (a.done - a.queued)).slice(0, count);
  for (const t of slow) {
    console.log(
      `  ${f1(t.done - t.queued).padStart(6)} ms${t.summaryDuring ? " (a summary request meanwhile)" : ""}: poll ${f1(t.polled - t.queued)}, to model ${f1(t.model - t.polled)}, to send ${f1(t.sent - t.model)}`,
    );
    for (const e of events.filter((e) => e.at + e.ms >= t.queued && e.at <= t.done)) {
      console.log(`      +${f1(e.at - t.queued).padStart(6)} ${e.kind.padEnd(5)} ${f1(e.ms).padStart(6)} ms  ${e.what}`);
    }
  }
}

/** a compaction's request: the summarizer's instruction as its system message */
function isSummary(body: Record<string, unknown>): boolean {
  const first = (body.messages as { role?: string; content?: unknown }[] | undefined)?.[0];
  return first?.role === "system" && typeof first.content === "string" && first.content.startsWith(SUMMARY_INSTRUCTION.slice(0, 40));
}

/** The target: a lone message's overhead at most this (issue 12). */
const SLOW_MS = 5;

/** For each message over the target: what else happened in the daemon meanwhile. */
function causesOfSlow(timelines: Timeline[], events: ProbeEvent[]): string[][] {
  return timelines
    .filter((t) => t.done - t.queued > SLOW_MS)
    .map((t) => {
      const during = events.filter((e) => e.at + e.ms >= t.queued && e.at <= t.done);
      const causes = new Set<string>();
      for (const e of during) {
        if (e.kind === "gc") causes.add(`gc ${e.what}`);
        else if (e.kind === "sql" && e.what.startsWith("[checkpoint]")) causes.add("WAL checkpoint");
        else if (e.kind === "stall") causes.add("event loop stall");
      }
      if (t.summaryDuring) causes.add("compaction");
      return [...causes];
    });
}

function slowLine(causes: string[][], total: number): string {
  const n = causes.length;
  const by = count(causes.flat());
  const none = causes.filter((c) => c.length === 0).length;
  const parts = [...by].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`);
  return `messages over ${SLOW_MS} ms: ${n} of ${total}; meanwhile: ${[...parts, `none of these ${none}`].join(", ")}`;
}

/** with every SQLite call recorded: the median message's whole timeline */
function showTypical(timelines: Timeline[], events: ProbeEvent[]): void {
  const sorted = [...timelines].sort((a, b) => a.done - a.queued - (b.done - b.queued));
  const t = sorted[Math.floor(sorted.length / 2)]!;
  console.log(`  a median message, ${f1(t.done - t.queued)} ms: polled +${f1(t.polled - t.queued)}, model request at the fake +${f1(t.model - t.queued)}, sendMessage at the fake +${f1(t.sent - t.queued)}`);
  for (const e of events.filter((e) => e.at + e.ms >= t.queued && e.at <= t.done).sort((a, b) => a.at - b.at)) {
    console.log(`      +${f1(e.at - t.queued).padStart(6)} ${e.kind.padEnd(5)} ${f1(e.ms).padStart(6)} ms  ${e.what}`);
  }
}

function summarizeEvents(events: ProbeEvent[]): string {
  const by = new Map<string, { n: number; ms: number; max: number }>();
  for (const e of events) {
    if (e.kind === "http") continue;
    const key = e.kind === "sql" ? `sql ${/^(\[checkpoint\] )?(BEGIN|COMMIT|PRAGMA wal_checkpoint)?/i.exec(e.what)?.[0] || "statement"}` : `${e.kind} ${e.what}`;
    const s = by.get(key) ?? { n: 0, ms: 0, max: 0 };
    s.n++;
    s.ms += e.ms;
    s.max = Math.max(s.max, e.ms);
    by.set(key, s);
  }
  return [...by].map(([k, s]) => `${k} ×${s.n} (max ${f1(s.max)} ms)`).join(", ") || "none";
}

function count(items: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return m;
}

if (import.meta.main) await run();
