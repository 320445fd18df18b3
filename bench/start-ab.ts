// Start → /ready of two checkouts of the gateway, alternately, many times: the CPU a change takes
// off (or adds to) the start is a few percent of it, and on a shared 2-core machine one run of the
// gateway suite moves its start figures by more than that. Starts alternate A, B, A, B… so both
// meet the same moments of the machine, and each is read from the kernel's per-thread run time
// (nanoseconds), not from the 10 ms clock ticks of /proc/<pid>/stat.
//   node bench/start-ab.ts <checkout A> <checkout B> [starts each, default 20]
//   SWITCHBOARD_BENCH_NODE_OPTIONS  Node options for both daemons (e.g. --cpu-prof --cpu-prof-dir=/tmp/p)
//   SWITCHBOARD_BENCH_ARGS_A, _B    more node arguments for one side (V8 flags NODE_OPTIONS refuses), e.g. to
//                                   weigh a flag on one checkout: node bench/start-ab.ts . . with _B set
//   SWITCHBOARD_BENCH_ENV_A, _B     variables for one side's daemon ("NAME=value -OTHER": set, or left out), e.g.
//                                   SWITCHBOARD_BENCH_ENV_B=MALLOC_MMAP_THRESHOLD_=32768 to weigh a memory setting
// Each checkout needs its bundle built (npm run build there). Telegram + Discord against the fakes,
// the memory settings of the systemd unit, a compile cache per checkout filled by one start first.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { FakeDiscord } from "../test/fakes/discord/server.ts";
import { startFakeLlm } from "../test/fakes/fake-llm.ts";
import { FakeTelegramApi } from "../test/fakes/telegram-api.ts";
import { runFileUrl, writeConfig } from "../test/e2e/daemon.ts";
import { MEMORY_NODE_FLAGS } from "../src/cli/service.ts";
import { envOverrides, envWords, MEMORY_VARIABLES } from "./process-stats.ts";
import { summarize } from "./stats.ts";
import { schedstat } from "./latency-sched.ts";

const BOT = "7000001:bench-start";
const PAUSE_MS = 1000;

/** CPU of every thread of the process so far, and of its main thread, ms */
function threadCpu(pid: number): { all: number; main: number } {
  let all = 0;
  // a thread that ended meanwhile has nothing to add
  for (const tid of readdirSync(`/proc/${pid}/task`)) all += schedstat(pid, tid)?.run ?? 0;
  return { all, main: schedstat(pid)!.run };
}

interface Side {
  checkout: string;
  home: string;
  nodeArgs: string[];
  env: Record<string, string | undefined>;
  /** the side's node arguments and variables as given, for its line of results */
  given: string[];
}

async function oneStart({ checkout, home, nodeArgs, env }: Side): Promise<{ readyMs: number; all: number; main: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...MEMORY_NODE_FLAGS.split(" "), ...nodeArgs, join(checkout, "bin/switchboard.js"), "gateway"], {
    env: {
      PATH: process.env.PATH,
      HOME: home,
      SWITCHBOARD_HOME: home,
      // as the systemd unit and the Docker image run it
      SWITCHBOARD_LOG_FORMAT: "json",
      NODE_OPTIONS: process.env.SWITCHBOARD_BENCH_NODE_OPTIONS ?? "",
      SWITCHBOARD_LOG_LEVEL: "warn",
      SWITCHBOARD_GATEWAY_PORT: "0",
      NODE_COMPILE_CACHE: join(home, "compile-cache"),
      ...MEMORY_VARIABLES,
      ...env,
    },
    stdio: "ignore",
  });
  const exited = new Promise((r) => child.on("exit", r));
  try {
    for (;;) {
      if (performance.now() - t0 > 60_000) throw new Error(`${checkout}: not ready within 60 s`);
      const url = runFileUrl(home, child.pid!);
      if (url && (await fetch(`${url}/ready`).then((r) => r.status === 200, () => false))) {
        const cpu = threadCpu(child.pid!);
        return { readyMs: performance.now() - t0, ...cpu };
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    // stopped as a service is: Node writes the compile cache when the process exits, so a killed first start would
    // leave every later one compiling the bundle again
    child.kill("SIGTERM");
    const stopped = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 10_000))]);
    if (!stopped) child.kill("SIGKILL");
    await exited;
  }
}

/** a checkout whose dist/ is stale would run its sources, a start twice as slow, without a word */
async function requireCurrentBundle(checkout: string): Promise<void> {
  const { chooseEntry } = (await import(pathToFileURL(join(checkout, "bin/bundle.js")).href)) as { chooseEntry: (root: string, env: NodeJS.ProcessEnv) => { bundle: boolean } };
  if (!chooseEntry(checkout, {}).bundle) throw new Error(`${checkout}: its bundle is not current; run \`npm run build\` there first`);
}

async function main(): Promise<void> {
  const [a, b, n] = process.argv.slice(2);
  if (!a || !b) throw new Error("usage: node bench/start-ab.ts <checkout A> <checkout B> [starts each]");
  const starts = Number(n ?? 20);
  for (const checkout of [a, b]) await requireCurrentBundle(checkout);
  const llm = await startFakeLlm();
  const tg = await FakeTelegramApi.start({ bots: [{ token: BOT }] });
  const dc = await FakeDiscord.start();
  const homes = [a, b].map(() => mkdtempSync(join(tmpdir(), "sb-start-ab-")));
  try {
    for (const home of homes) {
      writeConfig(home, {
        model_list: [{ model_name: "m", model: "openai/m", api_base: `${llm.url}/v1` }],
        agents: { defaults: { model_name: "m" } },
        channels: {
          telegram: { enabled: true, token: BOT, api_base: tg.url, allow_from: ["*"] },
          discord: { enabled: true, token: dc.token, api_base: dc.apiBase, allow_from: ["*"] },
        },
      });
    }
    const checkouts = [a, b];
    const sides: Side[] = ["A", "B"].map((side, i) => {
      const nodeArgs = envWords(`SWITCHBOARD_BENCH_ARGS_${side}`);
      return { checkout: checkouts[i]!, home: homes[i]!, nodeArgs, env: envOverrides(`SWITCHBOARD_BENCH_ENV_${side}`), given: [...nodeArgs, ...envWords(`SWITCHBOARD_BENCH_ENV_${side}`)] };
    });
    for (const side of sides) await oneStart(side); // fills each compile cache
    const seen = checkouts.map(() => ({ ready: [] as number[], all: [] as number[], main: [] as number[] }));
    for (let round = 0; round < starts; round++) {
      for (let i = 0; i < 2; i++) {
        // the machine quiet again (the stopped process's memory freed, its sockets closed), as before a real start
        await new Promise((r) => setTimeout(r, PAUSE_MS));
        const s = await oneStart(sides[i]!);
        seen[i]!.ready.push(s.readyMs);
        seen[i]!.all.push(s.all);
        seen[i]!.main.push(s.main);
      }
    }
    const text = (xs: number[]) => {
      const s = summarize(xs);
      return `median ${s.median.toFixed(0)} (mean ${(xs.reduce((x, y) => x + y, 0) / xs.length).toFixed(0)}, ${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
    };
    for (let i = 0; i < 2; i++) {
      const s = seen[i]!;
      const { given } = sides[i]!;
      console.log(`${"AB"[i]} ${checkouts[i]}${given.length ? ` ${given.join(" ")}` : ""}: ready ${text(s.ready)} ms; CPU by ready, all threads ${text(s.all)} ms, main thread ${text(s.main)} ms (${starts} starts)`);
    }
    const med = (i: number, k: "all" | "main") => summarize(seen[i]![k]).median;
    console.log(`B − A, medians: all threads ${(med(1, "all") - med(0, "all")).toFixed(0)} ms, main thread ${(med(1, "main") - med(0, "main")).toFixed(0)} ms`);
  } finally {
    await Promise.all([llm.close(), tg.close(), dc.close()]);
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  }
}

await main();
