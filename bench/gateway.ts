// The gateway daemon as a child process against the fake Telegram Bot API,
// the fake Discord gateway and an instant fake model, measured beside the
// floor (bench/floor-loop.ts: the least durable work per message) in the same
// run, so the ratios hold on a noisy machine: time to /ready, idle memory,
// overhead per message excluding the model, throughput, CPU per message and
// memory after a burst. Nothing waits forever: a phase that stops making
// progress for STALL_MS, or is still answering after SWITCHBOARD_BENCH_PHASE_MINUTES (90),
// reports what it got and moves on.
//   SWITCHBOARD_BENCH_MESSAGES  messages per throughput phase (default 50,000)
//   SWITCHBOARD_BENCH_SOAK=1    200,000 messages, RSS printed every 10,000 (the floor: 20,000)
//   SWITCHBOARD_BENCH_STARTS    measured starts of the gateway (default 3): ready time and idle RSS
//                               differ between starts, so the summary gives the median and the range
// Both processes are preloaded with bench/count-sql.ts, so SQLite statements
// and commits per message are counted (not timed) beside the floor's;
//   SWITCHBOARD_BENCH_SQL_DETAIL=1  also prints how often each statement ran per message
//   SWITCHBOARD_BENCH_NODE_OPTIONS  more NODE_OPTIONS for the daemon only
//   SWITCHBOARD_BENCH_NODE_ARGS     flags on the daemon's command line, for the V8 ones NODE_OPTIONS refuses
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeDiscord } from "../test/fakes/discord/server.ts";
import { startFakeLlm, type FakeLlm } from "../test/fakes/fake-llm.ts";
import { FakeTelegramApi } from "../test/fakes/telegram-api.ts";
import { startDaemon, writeConfig, type RunningDaemon } from "../test/e2e/daemon.ts";
import { cpuMs, envOverrides, envWords, forgetFakeRecords, MEMORY_VARIABLES, offerBurst, perMessage, printSqlDetail, rssMb, sqlCounts, type Phase } from "./process-stats.ts";
import { measureHi } from "./request-size.ts";
import { MEMORY_NODE_FLAGS } from "../src/cli/service.ts";
import { intervalText, summarize, type Summary } from "./stats.ts";
import { daemonCodeText } from "./daemon-code.ts";
import { machineLoad, memoryStepNs, memoryStepText } from "./machine-speed.ts";
import { loneMessages, loneText, schedstat, type LonePhase, type Sched } from "./latency-sched.ts";
import { SETTLE_INTERVAL_MS, SETTLE_QUIET_TICKS } from "../src/gateway/settle-memory.ts";
import { describeStart, type StartReport } from "../src/gateway/start-timeline.ts";

const GATEWAY_BOT = "7000001:bench-gateway";
const FLOOR_BOT = "7000002:bench-floor";
/** user and chat ids far from the fake bots' own ids (a bot ignores itself) */
const FIRST_USER = 10_000_000;
/** messages of the floor's burst in a soak run */
const SOAK_FLOOR_MESSAGES = 20_000;
/** gateway.max_turns_in_flight (its default, written out so the bench can print it) */
const TURN_LIMIT = 8;
const COUNT_SQL = `--import=${join(import.meta.dirname, "count-sql.ts")}`;
/**
 * How often the run file (where the gateway listens) is read, then /ready asked, while the gateway starts: the
 * figure includes up to one interval of each. The file is read in this process only; each /ready asked costs the
 * starting gateway a request, so that one is asked less often.
 */
const RUN_FILE_POLL_MS = 2;
const READY_POLL_MS = 5;
/**
 * The gateway gives memory back once its event loop has been quiet this long
 * (src/gateway/settle-memory.ts); idle and "settled" readings wait past it, plus
 * a second for the look that collects.
 */
const SETTLE_MS = SETTLE_QUIET_TICKS * SETTLE_INTERVAL_MS + 1000;

type Sql = { statements: number; commits: number };
const sqlText = (s: Sql) => `${s.statements.toFixed(1)} statements, ${s.commits.toFixed(2)} commits`;

export async function run(): Promise<void> {
  const soak = process.env.SWITCHBOARD_BENCH_SOAK === "1";
  const total = soak ? 200_000 : Number(process.env.SWITCHBOARD_BENCH_MESSAGES ?? 50_000);
  const home = mkdtempSync(join(tmpdir(), "sb-bench-gw-"));
  const llm = await startFakeLlm();
  const tg = await FakeTelegramApi.start({ bots: [{ token: GATEWAY_BOT }, { token: FLOOR_BOT }] });
  const dc = await FakeDiscord.start();
  llm.setDefault({ reply: "ok" });
  const load = machineLoad;
  const memoryStep = memoryStepNs();
  const code = daemonCodeText();
  console.log(`machine load average at start: ${load()}; ${memoryStepText(memoryStep)} (a random pointer chase over 64 MB: 190–230 in one day here); ${code}`);
  try {
    // the floor gives rates to compare against, which a soak's length does not change: it stays short
    const floor = await floorPhase(home, tg, llm, soak ? SOAK_FLOOR_MESSAGES : total);
    forgetFakeRecords(tg, llm);
    const gw = await gatewayPhase(home, tg, dc, llm, total, soak);
    const hi = await measureHi();
    const ratio = gw.throughput / floor.throughput;
    console.log(
      `\nsummary (${gw.answered + gw.lost} messages): gateway ${gw.throughput.toFixed(0)} msg/s = ${ratio.toFixed(2)}× the floor's ${floor.throughput.toFixed(0)} (target ≥ 0.75); ` +
        `CPU ${gw.cpuPerMsg.toFixed(2)} ms/msg = ${(gw.cpuPerMsg / floor.cpuPerMsg).toFixed(2)}× floor ${floor.cpuPerMsg.toFixed(2)} (target ≤ 1.0 ms); ` +
        `SQLite per msg ${sqlText(gw.sql)} vs floor ${sqlText(floor.sql)} (target 6, 3); ` +
        `ready ${spread(gw.ready, 0)} ms, CPU to ready ${spread(gw.readyCpu, 0)} ms (target ≤ 500); idle RSS ${spread(gw.idle, 0)} MB (target ≤ 100), floor ${floor.rssAfter.toFixed(0)} MB after its burst; ` +
        `overhead p99 ${gw.lone.p99.toFixed(1)} ms (${intervalText(gw.lone.p99Interval)}) = ${(gw.lone.p99 / floor.lone.p99).toFixed(2)}× the floor's ${floor.lone.p99.toFixed(1)} (${intervalText(floor.lone.p99Interval)}) (target ≤ 5 ms${loneText(gw.lone.split)}; early in its life ${gw.lone.earlyP99.toFixed(1)} ms, the floor's ${floor.lone.earlyP99.toFixed(1)}); RSS after burst ${gw.rssAfter.toFixed(0)} MB at once = ${(gw.rssAfter / gw.idleRss).toFixed(2)}×, ${gw.rssSettled.toFixed(0)} MB settled = ${(gw.rssSettled / gw.idleRss).toFixed(2)}× that gateway's idle ${gw.idleRss.toFixed(0)} MB (target ≤ 1.5), held ≤ ${gw.maxHeld}; ` +
        `"hi" ≈ ${hi.tokens} tokens (target ≤ 1,500); lost: ${unanswered("gateway", gw)}, ${unanswered("floor", floor)}; load ${load()}; ${memoryStepText(memoryStep)}; ${code}`,
    );
  } finally {
    await Promise.all([llm.close(), tg.close(), dc.close()]);
    rmSync(home, { recursive: true, force: true });
  }
}

/** "512" for one start, "498 median of 3 (470–512)" for several */
function spread(s: Summary, digits: number): string {
  if (s.n === 1) return s.median.toFixed(digits);
  return `${s.median.toFixed(digits)} median of ${s.n} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
}

/** "gateway 0 of 50000", or what was left when a phase was cut short (then maybe still queued, not lost) */
function unanswered(label: string, p: Phase): string {
  return `${label} ${p.lost} of ${p.answered + p.lost}${p.cut ? ` unanswered when it stopped (${p.cut})` : ""}`;
}

async function floorPhase(home: string, tg: FakeTelegramApi, llm: FakeLlm, total: number): Promise<Phase & { sql: Sql; lone: LonePhase }> {
  const llmBase = `${llm.url}/v1`;
  const child = spawn(process.execPath, [join(import.meta.dirname, "floor-loop.ts")], {
    env: {
      PATH: process.env.PATH, FLOOR_TG: `${tg.url}/bot${FLOOR_BOT}`, FLOOR_LLM: llmBase, FLOOR_DB: join(home, "floor.db"),
      NODE_OPTIONS: COUNT_SQL, SWITCHBOARD_BENCH_SQL_FILE: join(home, "floor-sql.json"), SWITCHBOARD_BENCH_SQL_DETAIL: process.env.SWITCHBOARD_BENCH_SQL_DETAIL ?? "",
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise((r) => child.once("exit", r));
  try {
    const pid = child.pid!;
    const sqlFile = join(home, "floor-sql.json");
    // the same lone messages as the gateway's: what this machine allows a process that does only the durable work
    const lone = await loneMessages({ label: "floor", tg, llm, token: FLOOR_BOT, pid });
    const sql0 = await sqlCounts(pid, sqlFile);
    const phase = await offerBurst({ tg, token: FLOOR_BOT, firstUser: FIRST_USER, total, pid, label: "floor", forget: llm });
    const sql1 = await sqlCounts(pid, sqlFile);
    const sql = perMessage(sql0, sql1, phase.answered);
    printSqlDetail("floor", sql0, sql1, phase.answered);
    console.log(`floor: ${phase.throughput.toFixed(0)} messages/s, ${phase.cpuPerMsg.toFixed(2)} ms CPU per message, ${sqlText(sql)} per message, RSS ${phase.rssAfter.toFixed(1)} MB`);
    return { ...phase, sql, lone };
  } finally {
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    child.kill("SIGKILL");
  }
}

async function gatewayPhase(home: string, tg: FakeTelegramApi, dc: FakeDiscord, llm: FakeLlm, total: number, soak: boolean) {
  const llmBase = `${llm.url}/v1`;
  writeConfig(home, {
    model_list: [{ model_name: "m", model: "openai/m", api_base: llmBase }],
    agents: { defaults: { model_name: "m" } },
    gateway: { max_turns_in_flight: TURN_LIMIT },
    channels: {
      telegram: { enabled: true, token: GATEWAY_BOT, api_base: tg.url, allow_from: ["*"] },
      discord: { enabled: true, token: dc.token, api_base: dc.apiBase, allow_from: ["*"] },
    },
  });
  // SWITCHBOARD_BENCH_NODE_OPTIONS reaches the daemon only (e.g. --max-old-space-size=96 to tell heap from native growth)
  const nodeOptions = process.env.SWITCHBOARD_BENCH_NODE_OPTIONS;
  const sqlFile = join(home, "gateway-sql.json");
  // Node's compile cache holds the type-stripped sources; a process that strips any .ts itself keeps
  // Node's TypeScript stripper loaded (~17 MB resident) for its whole life. A first start after an
  // install or an update fills the cache, every later start reads it. The bench's own fresh cache
  // makes the first start here such a first start (reported), and the measured one a later start.
  const env = {
    SWITCHBOARD_LOG_LEVEL: "warn",
    NODE_COMPILE_CACHE: join(home, "compile-cache"),
    // the memory settings the systemd unit and the Docker image give the daemon
    ...MEMORY_VARIABLES,
    // SWITCHBOARD_BENCH_DAEMON_ENV="NAME=value -OTHER …"
    ...envOverrides("SWITCHBOARD_BENCH_DAEMON_ENV"),
    NODE_OPTIONS: [COUNT_SQL, MEMORY_NODE_FLAGS, nodeOptions].filter(Boolean).join(" "),
    SWITCHBOARD_BENCH_SQL_FILE: sqlFile,
    SWITCHBOARD_BENCH_SQL_DETAIL: process.env.SWITCHBOARD_BENCH_SQL_DETAIL ?? "",
    SWITCHBOARD_BENCH_SQL_TIME: process.env.SWITCHBOARD_BENCH_SQL_TIME ?? "",
  };
  const first = await startReady(home, env);
  console.log(`gateway: first start (empty compile cache): /ready in ${first.readyMs.toFixed(0)} ms, idle RSS ${first.idleRss.toFixed(1)} MB (${first.earlyRss.toFixed(1)} MB before it gave memory back)`);
  await first.daemon.stop();
  // the measured starts; the last one stays up for the messages
  const starts = Math.max(1, Number(process.env.SWITCHBOARD_BENCH_STARTS ?? 3) || 1);
  const readyAll: number[] = [];
  const cpuAll: number[] = [];
  const idleAll: number[] = [];
  let slowest: Awaited<ReturnType<typeof startReady>> | undefined;
  let started: Awaited<ReturnType<typeof startReady>> | undefined;
  for (let i = 0; i < starts; i++) {
    if (started) await started.daemon.stop();
    rmSync(sqlFile, { force: true }); // its existence tells sqlCounts that the next daemon's counter is in place
    started = await startReady(home, env);
    readyAll.push(started.readyMs);
    cpuAll.push(started.cpuMs);
    idleAll.push(started.idleRss);
    if (!slowest || started.readyMs > slowest.readyMs) slowest = started;
    console.log(
      `gateway: start ${i + 1} of ${starts}: process start to /ready (Telegram + Discord) ${started.readyMs.toFixed(0)} ms (${started.cpuMs} ms of CPU; ` +
        `main thread ${started.sched.run.toFixed(0)} ms on a CPU, ${started.sched.wait.toFixed(0)} ms waiting for one), ` +
        `idle RSS ${started.idleRss.toFixed(1)} MB (${started.earlyRss.toFixed(1)} MB before it gave memory back)`,
    );
  }
  if (starts > 1 && slowest?.startup) console.log(`gateway: the slowest start, as the daemon saw it: ${describeStart(slowest.startup)}`);
  const { daemon, idleRss } = started!;
  const ready = summarize(readyAll);
  const readyCpu = summarize(cpuAll);
  const idle = summarize(idleAll);
  try {
    console.log(`gateway: process start to /ready ${spread(ready, 0)} ms, ${spread(readyCpu, 0)} ms of it CPU; idle RSS ${spread(idle, 1)} MB`);
    const pid = daemon.child.pid!;

    // one message at a time: end-to-end latency minus the model call (instant, on loopback)
    const lone = await loneMessages({ label: "gateway", tg, llm, token: GATEWAY_BOT, pid });
    const cpuBefore = cpuMs(pid);
    const sql0 = await sqlCounts(pid, sqlFile);
    const phase = await offerBurst({ tg, token: GATEWAY_BOT, firstUser: FIRST_USER * 2, total, pid, label: "gateway", rssEvery: soak ? 10_000 : 0, forget: llm });
    const sql1 = await sqlCounts(pid, sqlFile);
    const cpuTotal = cpuMs(pid) - cpuBefore;
    const sql = perMessage(sql0, sql1, phase.answered);
    printSqlDetail("gateway", sql0, sql1, phase.answered);
    // read twice: right after the last reply, and once the gateway has been quiet long enough to give memory back
    const rssSettled = await settledRss(pid, SETTLE_MS);
    console.log(
      `gateway: ${phase.answered}/${total} answered in ${phase.seconds.toFixed(1)} s = ${phase.throughput.toFixed(0)} messages/s, ` +
        `${phase.cpuPerMsg.toFixed(2)} ms CPU per message (daemon total ${cpuTotal.toFixed(0)} ms), ${sqlText(sql)} per message, RSS ${idleRss.toFixed(1)} → ${phase.rssAfter.toFixed(1)} MB at once (peak ${phase.peakRss.toFixed(1)}), ` +
        `${rssSettled.toFixed(1)} MB settled, at most ${phase.maxHeld} messages taken from the platform and not yet answered (turn limit ${TURN_LIMIT})`,
    );
    return { ...phase, rssSettled, sql, ready, readyCpu, idle, idleRss, lone };
  } finally {
    await daemon.stop();
  }
}

/**
 * Starts the daemon, waits for /ready, then until its memory settles: the warm-up after ready loads the model
 * SDKs (`earlyRss`: RSS once that stopped moving), then the quiet gateway gives memory back (`idleRss`).
 * `cpuMs`: the CPU the daemon had used when /ready first answered 200 (a busy machine stretches the wall time, much less this)
 */
async function startReady(
  home: string,
  env: Record<string, string>,
): Promise<{ daemon: RunningDaemon; readyMs: number; cpuMs: number; sched: Sched; startup?: StartReport; earlyRss: number; idleRss: number }> {
  const t0 = performance.now();
  const nodeArgs = envWords("SWITCHBOARD_BENCH_NODE_ARGS");
  // a first start strips every source file's types: on a busy machine that can take a while
  const daemon = await startDaemon(home, env, [], { startTimeoutMs: 120_000, runFilePollMs: RUN_FILE_POLL_MS, nodeArgs });
  try {
    const readyMs = await untilReady(daemon.url, t0);
    const cpu = cpuMs(daemon.child.pid!);
    const sched = schedstat(daemon.child.pid!) ?? { run: NaN, wait: NaN };
    const earlyRss = await settledRss(daemon.child.pid!);
    const idleRss = await settledRss(daemon.child.pid!, SETTLE_MS);
    // the daemon's own account of its start, recorded at ready (asked after the idle reading, which it must not move;
    // absent from a gateway older than it)
    const startup = await fetch(`${daemon.url}/status`).then((r) => r.json() as Promise<{ startup?: StartReport }>).then((s) => s.startup, () => undefined);
    return { daemon, readyMs, cpuMs: cpu, sched, ...(startup ? { startup } : {}), earlyRss, idleRss };
  } catch (err) {
    await daemon.stop();
    throw err;
  }
}

/** when /ready first answered 200, ms after t0 (asked every READY_POLL_MS, at most 120 s) */
async function untilReady(url: string, t0: number): Promise<number> {
  const end = performance.now() + 120_000;
  for (;;) {
    const ok = await fetch(`${url}/ready`).then((r) => r.status === 200, () => false);
    if (ok) return performance.now() - t0;
    if (performance.now() > end) throw new Error(`${url}/ready did not answer 200 within 120 s`);
    await new Promise((r) => setTimeout(r, READY_POLL_MS));
  }
}

/** RSS once it moved less than 1 MB in a second (at least `minMs` after the call, at most 9 s more) */
async function settledRss(pid: number, minMs = 1000): Promise<number> {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  await sleep(minMs);
  let last = rssMb(pid);
  for (let i = 0; i < 9; i++) {
    await sleep(1000);
    const now = rssMb(pid);
    if (Math.abs(now - last) < 1) return now;
    last = now;
  }
  return last;
}
