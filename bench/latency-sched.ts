// A thread's time on a CPU and its time waiting for one, from Linux's
// /proc/<pid>/task/<tid>/schedstat (nanoseconds there, ms here). The main
// thread's id is the process id. The lone-message figures use it to tell a
// process's own work from the time it was ready to run but another process
// held the CPU: on a shared 2-core machine that wait moves from run to run
// far more than the code's own time does. loneMessages is the gateway
// suite's lone-message phase, run alike through the floor and the gateway.
import { readFileSync } from "node:fs";
import type { FakeTelegramApi } from "../test/fakes/telegram-api.ts";
import { forgetFakeRecords } from "./process-stats.ts";
import { intervalText, percentile, percentileInterval, report, summarize } from "./stats.ts";

export interface Sched {
  /** ms on a CPU */
  run: number;
  /** ms ready to run, waiting for a CPU */
  wait: number;
}

/** a thread's schedstat (the main thread's by default); undefined where /proc has none (not Linux) or the thread ended */
export function schedstat(pid: number, tid: number | string = pid): Sched | undefined {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ").map(Number);
    return { run: run! / 1e6, wait: wait! / 1e6 };
  } catch {
    return undefined;
  }
}

export interface LoneP99s {
  /** p99 of the end-to-end time less the daemon's waits for a CPU */
  lessDaemonWaits: number;
  /** less this process's waits too (it runs the fakes); a lower bound: a wait of both at once is taken off twice */
  lessBothWaits: number;
  /** p99 of the daemon main thread's own CPU time per message */
  daemonCpu: number;
  /** p99 of this process's (the fakes') CPU time per message */
  fakesCpu: number;
}

/**
 * Splits each lone message's end-to-end time into the daemon's own CPU, the
 * fakes' (this process) and the time either waited for a CPU, so a p99 can be
 * read beside the raw one: the raw p99 on a loaded 2-core machine is mostly
 * those waits. begin() before sending, end(ms) once answered.
 */
export function loneSplit(daemonPid: number) {
  const rows: { e2e: number; daemon: Sched; fakes: Sched }[] = [];
  let d0: Sched | undefined;
  let f0: Sched | undefined;
  const diff = (a: Sched, b: Sched): Sched => ({ run: a.run - b.run, wait: a.wait - b.wait });
  const p99 = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 99);
  return {
    begin(): void {
      d0 = schedstat(daemonPid);
      f0 = schedstat(process.pid);
    },
    end(e2e: number): void {
      const d1 = schedstat(daemonPid);
      const f1 = schedstat(process.pid);
      if (d0 && f0 && d1 && f1) rows.push({ e2e, daemon: diff(d1, d0), fakes: diff(f1, f0) });
    },
    p99s(): LoneP99s | undefined {
      if (rows.length === 0) return undefined;
      return {
        lessDaemonWaits: p99(rows.map((r) => Math.max(0, r.e2e - r.daemon.wait))),
        lessBothWaits: p99(rows.map((r) => Math.max(0, r.e2e - r.daemon.wait - r.fakes.wait))),
        daemonCpu: p99(rows.map((r) => r.daemon.run)),
        fakesCpu: p99(rows.map((r) => r.fakes.run)),
      };
    },
    report(): void {
      const p = this.p99s();
      if (!p) return;
      const med = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
      console.log(
        `  of which (p99 each): less the daemon's waits for a CPU ${p.lessDaemonWaits.toFixed(1)} ms, less the fakes' waits too ${p.lessBothWaits.toFixed(1)} ms; ` +
          `the daemon's own CPU ${p.daemonCpu.toFixed(2)} ms (median ${med(rows.map((r) => r.daemon.run)).toFixed(2)}), the fakes' ${p.fakesCpu.toFixed(2)} ms; ` +
          `messages that waited ≥ 1 ms for a CPU: ${rows.filter((r) => r.daemon.wait + r.fakes.wait >= 1).length} of ${rows.length}`,
      );
    },
  };
}

/** the summary line's words for the split, beside the raw p99 */
export function loneText(p: LoneP99s | undefined): string {
  if (!p) return "";
  return `; less the CPU waits: the daemon's ${p.lessDaemonWaits.toFixed(1)}, both processes' ${p.lessBothWaits.toFixed(1)} ms; the daemon's own CPU p99 ${p.daemonCpu.toFixed(2)} ms`;
}

/** lone messages per phase counted for the p99, after LONE_WARM_UP: enough for a p99 that holds from run to run */
export const LONE_MESSAGES = Number(process.env.SWITCHBOARD_BENCH_LONE ?? 1000);
/**
 * The lone messages a process answers before the counted ones. V8 optimizes a
 * function once it has run often enough: with Maglev after ~400 calls, with
 * TurboFan after ~3,000. Code that runs once per message is still being
 * compiled for the first thousands of messages (after 50, ~530 compiles fell
 * among the next 1,000 messages, and their threads took the CPU the message
 * waited for); a gateway in service is long past that. The counted messages
 * come after 2,000, when ~60 compiles are left (latency-lone.ts too).
 */
export const LONE_WARM_UP = Number(process.env.SWITCHBOARD_BENCH_LONE_WARM_UP ?? 2000);
/** the first messages of a process's life (the 50 after its start left out), reported beside the warm ones */
export const LONE_EARLY_FROM = 50;
/**
 * A pause after each answer before the next message (default 0: at once). A person takes seconds; after a
 * pause the next message meets cold CPU caches, and the work it costs grows with what the process touches
 */
const LONE_GAP_MS = Number(process.env.SWITCHBOARD_BENCH_LONE_GAP_MS ?? 0);

export interface LonePhase {
  /** p99 of the counted (warm) messages */
  p99: number;
  /** where the p99 of what was measured lies, ~95 % confidence, from the sample alone (stats.ts) */
  p99Interval: { low: number; high: number };
  split: LoneP99s | undefined;
  /** p99 of the process's first messages, while V8 still compiles their code */
  earlyP99: number;
}

/**
 * Messages one at a time through a gateway (or the floor) against the fakes,
 * each sent once the one before was answered; prints and returns the p99 of
 * the end-to-end time (queued at the fake Telegram → its reply arrives there,
 * the model instant) and its split, for the warm messages and for the
 * process's first ones.
 */
export async function loneMessages(o: { label: string; tg: FakeTelegramApi; llm: { requests: unknown[] }; token: string; pid: number }): Promise<LonePhase> {
  const { tg, llm } = o;
  const lat: number[] = [];
  const early: number[] = [];
  const lone = loneSplit(o.pid);
  for (let i = 0; i < LONE_MESSAGES + LONE_WARM_UP; i++) {
    forgetFakeRecords(tg, llm);
    // the schedstat reads first: two file reads (~45 µs here) are not the message's time
    lone.begin();
    const t = performance.now();
    tg.userMessage({ token: o.token, chatId: 500, fromId: 500, text: `ping ${i}` });
    await tg.waitForSent(1, 10_000); // event-driven, no polling delay in the figure
    const ms = performance.now() - t;
    if (i >= LONE_EARLY_FROM && i < LONE_EARLY_FROM + LONE_MESSAGES) early.push(ms);
    if (i >= LONE_WARM_UP) {
      lat.push(ms);
      lone.end(ms);
    }
    if (LONE_GAP_MS > 0) await new Promise((r) => setTimeout(r, LONE_GAP_MS));
  }
  const apart = LONE_GAP_MS > 0 ? `, ${LONE_GAP_MS} ms apart` : "";
  report(`${o.label} overhead per message (model instant${apart}), messages ${LONE_WARM_UP + 1}–${LONE_WARM_UP + LONE_MESSAGES}`, lat);
  const p99Interval = percentileInterval([...lat].sort((a, b) => a - b), 99);
  console.log(`  its p99 lies in ${intervalText(p99Interval)} ms (95 %, from these ${lat.length} messages alone; another run on the same machine moves it more)`);
  lone.report();
  report(`${o.label} the same early in its life, messages ${LONE_EARLY_FROM + 1}–${LONE_EARLY_FROM + early.length}`, early);
  return { p99: summarize(lat).p99, p99Interval, split: lone.p99s(), earlyP99: summarize(early).p99 };
}

