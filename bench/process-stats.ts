// What a benchmark reads off another process (Linux /proc), and the burst
// phase shared by the floor and the gateway: offer N messages from N people,
// wait until all are answered or progress stalls, and measure.
import { readFileSync } from "node:fs";
import type { FakeTelegramApi } from "../test/fakes/telegram-api.ts";
import { MEMORY_ENV } from "../src/cli/service.ts";

/** resident memory of a process, MB */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** user + system CPU a process has used, ms (clock ticks are 1/100 s on Linux) */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // the command name may hold spaces: fields are counted after its closing parenthesis
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export interface Phase {
  answered: number;
  /** not answered when the phase ended (with `cut`, possibly still queued in the process rather than lost) */
  lost: number;
  /** why the phase ended before every message was answered */
  cut?: string;
  seconds: number;
  throughput: number;
  cpuPerMsg: number;
  rssAfter: number;
  /** highest RSS seen during the phase (sampled each second), MB */
  peakRss: number;
  /** most messages confirmed to the platform but not yet answered at one time (sampled each second) */
  maxHeld: number;
}

/** no new answer for this long: the phase reports what it has instead of waiting on */
export const STALL_MS = 30_000;
/** a phase still answering after this long stops too (SWITCHBOARD_BENCH_PHASE_MINUTES; default 90) */
const PHASE_MS = Number(process.env.SWITCHBOARD_BENCH_PHASE_MINUTES ?? 90) * 60_000;

/** the words of an environment variable ("--a --b=1" → ["--a", "--b=1"]; unset → []): a bench's list-valued settings */
export function envWords(name: string): string[] {
  return (process.env[name] ?? "").split(/\s+/).filter(Boolean);
}

/**
 * NAME="VAR=value -OTHER …": variables set (VAR=value) or left out (-OTHER) for a daemon only, e.g. to
 * weigh one of the memory settings against its absence; spread after the variables they change
 */
export function envOverrides(name: string): Record<string, string | undefined> {
  return Object.fromEntries(envWords(name).map((w) => (w.startsWith("-") ? [w.slice(1), undefined] : [w.slice(0, w.indexOf("=")), w.slice(w.indexOf("=") + 1)])));
}

/** the memory settings the systemd unit and the Docker image give the daemon (MEMORY_ENV), as an environment */
export const MEMORY_VARIABLES: Readonly<Record<string, string>> = Object.fromEntries(MEMORY_ENV.map((e) => e.split("=") as [string, string]));

/**
 * Empties the fakes' lists of calls, sent messages and model requests, which
 * they keep for tests to read. Between phases and between lone messages the
 * bench reads none of them again; kept, they grow the bench process's heap
 * with every message, and its collections (on the same two cores as the
 * daemon) grow with them: after the floor's 50,000 messages, a lone message
 * found each of them copied once more by waitForSent.
 */
export function forgetFakeRecords(tg: FakeTelegramApi, llm: { requests: unknown[] }): void {
  tg.calls.length = 0;
  tg.sent.length = 0;
  llm.requests.length = 0;
}

/**
 * Offers `total` messages at once and waits for their answers. `forget`: the fake model's request list, to
 * empty the fakes' records at every look (as forgetFakeRecords does): kept, a 200,000-message soak leaves
 * every prompt the model was sent in this process's heap, whose collections share the two cores with
 * the process measured. Answers are counted as they arrive, not by a pass over every reply at each look.
 */
export async function offerBurst(o: {
  tg: FakeTelegramApi;
  token: string;
  firstUser: number;
  total: number;
  pid: number;
  label: string;
  rssEvery?: number;
  forget?: { requests: unknown[] };
}): Promise<Phase> {
  const { tg, token, total, pid } = o;
  let looked = tg.sent.length;
  let answeredSoFar = 0;
  /** this bot's replies so far, counting those sent since the last look (and emptying the records when asked to) */
  const countAnswers = () => {
    for (; looked < tg.sent.length; looked++) if (tg.sent[looked]!.token === token) answeredSoFar++;
    if (o.forget) {
      forgetFakeRecords(tg, o.forget);
      looked = 0;
    }
    return answeredSoFar;
  };
  const cpu0 = cpuMs(pid);
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    tg.userMessage({ token, chatId: o.firstUser + i, fromId: o.firstUser + i, text: `hello ${i}` });
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  let answered = 0;
  let maxHeld = 0;
  let peakRss = 0;
  let cut: string | undefined;
  let lastProgress = performance.now();
  let nextRss = o.rssEvery || Infinity;
  for (let tick = 0; answered < total; tick++) {
    await new Promise((r) => setTimeout(r, 100));
    const now = countAnswers();
    if (now > answered) lastProgress = performance.now();
    answered = now;
    // confirmed to the platform (the next getUpdates' offset) and not yet answered; the batch being
    // read (≤ 100) is still the platform's until then, so the process holds at most that many more
    if (tick % 10 === 0) {
      maxHeld = Math.max(maxHeld, total - tg.pendingCount(token) - answered);
      peakRss = Math.max(peakRss, rssMb(pid));
    }
    while (answered >= nextRss) {
      console.log(`${o.label}: ${nextRss} answered, RSS ${rssMb(pid).toFixed(1)} MB`);
      nextRss += o.rssEvery!;
    }
    if (performance.now() - lastProgress > STALL_MS) cut = `no answer for ${STALL_MS / 1000} s`;
    else if (performance.now() - t0 > PHASE_MS) cut = `still answering after ${PHASE_MS / 60_000} min`;
    if (cut) {
      console.log(`${o.label}: ${cut} with ${answered}/${total} answered; moving on`);
      break;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const rssAfter = rssMb(pid);
  return { answered, lost: total - answered, seconds, throughput: answered / seconds, cpuPerMsg: (cpuMs(pid) - cpu0) / Math.max(1, answered), rssAfter, peakRss: Math.max(peakRss, rssAfter), maxHeld, ...(cut ? { cut } : {}) };
}

export interface SqlCounts {
  statements: number;
  commits: number;
  /** per statement text, with SWITCHBOARD_BENCH_SQL_DETAIL=1 */
  detail?: Record<string, number>;
}

/** the statement and commit totals a process preloaded with bench/count-sql.ts has run so far */
export async function sqlCounts(pid: number, file: string): Promise<SqlCounts | undefined> {
  const read = (): string | undefined => {
    try {
      return readFileSync(file, "utf8");
    } catch {
      return undefined;
    }
  };
  // the process may be writing the file as it is read: a torn read does not parse, and is read again
  const parse = (text: string | undefined): SqlCounts | undefined => {
    try {
      return text ? (JSON.parse(text) as SqlCounts) : undefined;
    } catch {
      return undefined;
    }
  };
  let before = read();
  // no file yet: the handler is not installed, and SIGUSR2 would end the process
  for (let i = 0; before === undefined && i < 1000; i++) {
    await new Promise((r) => setTimeout(r, 10));
    before = read();
  }
  if (before === undefined) return undefined;
  process.kill(pid, "SIGUSR2");
  // the process writes the file from its signal handler; wait (bounded) until it has
  for (let i = 0; i < 500; i++) {
    await new Promise((r) => setTimeout(r, 10));
    const now = read();
    const counts = now !== before ? parse(now) : undefined;
    if (counts) return counts;
  }
  return parse(read());
}

/** per-message statements and commits between two readings */
export function perMessage(a: SqlCounts | undefined, b: SqlCounts | undefined, messages: number): { statements: number; commits: number } {
  if (!a || !b || messages === 0) return { statements: NaN, commits: NaN };
  return { statements: (b.statements - a.statements) / messages, commits: (b.commits - a.commits) / messages };
}

/** with SWITCHBOARD_BENCH_SQL_DETAIL=1: how often each statement ran per message, most frequent first */
export function printSqlDetail(label: string, a: SqlCounts | undefined, b: SqlCounts | undefined, messages: number): void {
  if (!a?.detail || !b?.detail || messages === 0) return;
  const rows = Object.entries(b.detail)
    .map(([sql, n]) => [sql, (n - (a.detail![sql] ?? 0)) / messages] as const)
    .filter(([, n]) => n >= 0.01)
    .sort((x, y) => y[1] - x[1]);
  for (const [sql, n] of rows) console.log(`${label}: ${n.toFixed(2)} × ${sql}`);
}
