// Preloaded into the benchmarked daemon by bench/latency-lone.ts
// (node --import bench/latency-probe.ts): records, with times in
// milliseconds on a clock every process shares (bench/latency-clock.ts),
// what can hold up a lone message inside the process:
//   - SQLite calls that took ≥ SWITCHBOARD_LATENCY_PROBE_MIN_MS (default 0.3),
//     with their SQL (a COMMIT that runs a WAL checkpoint shows up here);
//   - every WAL checkpoint (PRAGMA wal_checkpoint run by anyone);
//   - garbage collections (kind, duration);
//   - HTTP requests the process makes (node:http and fetch): start, response;
//   - with SWITCHBOARD_LATENCY_PROBE_STALLS=1, event-loop stalls: a 1 ms
//     heartbeat that came late by ≥ 2 ms (off by default: a timer firing
//     every millisecond keeps the process awake and itself changes latency).
// On SIGUSR2 the events so far are written to $SWITCHBOARD_LATENCY_PROBE_FILE
// as JSON and the list starts again. It changes nothing the process does,
// apart from its own small cost per SQLite call.
import { subscribe } from "node:diagnostics_channel";
import { statSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { PerformanceObserver, constants } from "node:perf_hooks";
import { DatabaseSync, StatementSync } from "node:sqlite";
import { sharedClock } from "./latency-clock.ts";
import v8 from "node:v8";

// V8 flags to try on the daemon without a command line of its own (NODE_OPTIONS refuses most of them)
for (const flag of (process.env.SWITCHBOARD_LATENCY_V8_FLAGS ?? "").split(/\s+/).filter(Boolean)) v8.setFlagsFromString(flag);

export interface ProbeEvent {
  /** ms on the shared clock (bench/latency-clock.ts) */
  at: number;
  /** ms the event took (0 for a point in time) */
  ms: number;
  kind: "sql" | "gc" | "http" | "stall";
  what: string;
}

const minMs = Number(process.env.SWITCHBOARD_LATENCY_PROBE_MIN_MS || 0.3);
const file = process.env.SWITCHBOARD_LATENCY_PROBE_FILE;
let events: ProbeEvent[] = [];
const clock = sharedClock();
const add = (e: ProbeEvent) => {
  if (events.length < 200_000) events.push(e);
};

/**
 * In WAL mode the main database file is written only by a checkpoint, so a
 * slow call after which the file changed ran one (SQLite checkpoints inside
 * the COMMIT that takes the WAL past wal_autocheckpoint pages).
 */
const fileState = new Map<string, string>();
function checkpointed(db: DatabaseSync | undefined): boolean {
  const file = db?.location();
  if (!file) return false;
  let now: string;
  try {
    const st = statSync(file);
    now = `${st.size}:${st.mtimeMs}`;
  } catch {
    return false;
  }
  const before = fileState.get(file);
  fileState.set(file, now);
  return before !== undefined && before !== now;
}

const owner = new WeakMap<StatementSync, DatabaseSync>();
function timed<A extends unknown[], R>(what: (self: unknown, args: A) => string, dbOf: (self: unknown) => DatabaseSync | undefined, fn: (...a: A) => R): (...a: A) => R {
  return function (this: unknown, ...args: A): R {
    const t = clock();
    try {
      return fn.apply(this, args);
    } finally {
      const ms = clock() - t;
      // the statement's text as it is (a property read); shortened only for a call worth recording, which
      // for every call would cost more than many calls do
      const sql = what(this, args);
      if (ms >= minMs || /wal_checkpoint/i.test(sql)) add({ at: t, ms, kind: "sql", what: `${checkpointed(dbOf(this)) ? "[checkpoint] " : ""}${short(sql)}` });
    }
  };
}

const short = (sql: string) => sql.replace(/\s+/g, " ").trim().slice(0, 80);
for (const method of ["run", "get", "all", "iterate"] as const) {
  const proto = StatementSync.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  proto[method] = timed((self) => (self as StatementSync).sourceSQL, (self) => owner.get(self as StatementSync), proto[method]!);
}
const dbProto = DatabaseSync.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
dbProto.exec = timed((_self, args) => String(args[0]), (self) => self as DatabaseSync, dbProto.exec!);
const prepare = dbProto.prepare!;
dbProto.prepare = function (this: DatabaseSync, ...args: unknown[]) {
  const st = prepare.apply(this, args) as StatementSync;
  owner.set(st, this);
  checkpointed(this); // the file as it is now
  return st;
};

new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
    const name = kind === constants.NODE_PERFORMANCE_GC_MINOR ? "scavenge" : kind === constants.NODE_PERFORMANCE_GC_MAJOR ? "mark-sweep" : kind === constants.NODE_PERFORMANCE_GC_INCREMENTAL ? "incremental" : "weak-cb";
    add({ at: clock() - (performance.now() - e.startTime), ms: e.duration, kind: "gc", what: name });
  }
}).observe({ entryTypes: ["gc"] });

// node:http (the lean fetch of the Telegram client) and undici (fetch; the model SDKs)
const started = new WeakMap<object, number>();
subscribe("http.client.request.start", (m) => {
  started.set((m as { request: object }).request, clock());
});
subscribe("http.client.response.finish", (m) => {
  const { request } = m as { request: { path?: string; method?: string } };
  const t = started.get(request);
  if (t !== undefined) add({ at: t, ms: clock() - t, kind: "http", what: `${request.method} ${pathOf(request.path)}` });
});
subscribe("undici:request:create", (m) => {
  started.set((m as { request: object }).request, clock());
});
subscribe("undici:request:headers", (m) => {
  const { request } = m as { request: { path?: string; method?: string } };
  const t = started.get(request);
  if (t !== undefined) add({ at: t, ms: clock() - t, kind: "http", what: `fetch ${request.method} ${pathOf(request.path)}` });
});

/** the API method, never the bot token in the path */
function pathOf(p: string | undefined): string {
  return (p ?? "").split("?")[0]!.replace(/\/bot[^/]+/, "/bot…");
}

// the event loop: a heartbeat every ms; one that comes late says the loop was busy
if (process.env.SWITCHBOARD_LATENCY_PROBE_STALLS === "1") {
  let last = clock();
  const beat = setInterval(() => {
    const now = clock();
    const late = now - last - 1;
    if (late >= 2) add({ at: last, ms: late, kind: "stall", what: "event loop busy" });
    last = now;
  }, 1);
  beat.unref();
}

// What the process allocates, collected or not (a sampling allocation profile), between one SIGUSR2 and the
// next: each one writes the profile since the one before (if any) to $SWITCHBOARD_LATENCY_ALLOC_PROFILE
const allocFile = process.env.SWITCHBOARD_LATENCY_ALLOC_PROFILE;
let allocSession: Session | undefined;
const sampling = { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true };
function allocProfile(): void {
  if (!allocFile) return;
  if (!allocSession) {
    allocSession = new Session();
    allocSession.connect();
    allocSession.post("HeapProfiler.startSampling", sampling);
    return;
  }
  const session = allocSession;
  session.post("HeapProfiler.getSamplingProfile", (err, res) => {
    if (!err) writeFileSync(allocFile, JSON.stringify(res.profile));
    session.post("HeapProfiler.stopSampling", () => session.post("HeapProfiler.startSampling", sampling));
  });
}

if (file) {
  const dump = () => {
    allocProfile();
    writeFileSync(file, JSON.stringify(events));
    events = [];
  };
  process.on("SIGUSR2", dump);
  dump();
}
