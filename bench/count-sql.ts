// Preloaded into a benchmarked process (node --import bench/count-sql.ts):
// counts SQLite statements executed and transactions committed, so the bench
// can print "statements and commits per message" next to the times. On
// SIGUSR2 the totals so far are written to $SWITCHBOARD_BENCH_SQL_FILE as
// JSON. Counting is two increments per statement; it does not change what
// runs.
//   SWITCHBOARD_BENCH_SQL_TIME=<file>  also times every statement (a clock read
//   on each side of it, so the process runs a little slower) and writes, at
//   each SIGUSR2, <file>.<n>.json: per statement text its runs and
//   microseconds so far, and the same per band of 5,000 inbox inserts, so a
//   statement that slows down as the tables grow shows it (bench/sql-time.ts
//   prints the difference between two of them).
import { writeFileSync } from "node:fs";
import { DatabaseSync, StatementSync } from "node:sqlite";

const counts = { statements: 0, commits: 0 };
const file = process.env.SWITCHBOARD_BENCH_SQL_FILE;
// SWITCHBOARD_BENCH_SQL_DETAIL=1: also a count per statement text (which statement runs how often)
const detail: Record<string, number> | undefined = process.env.SWITCHBOARD_BENCH_SQL_DETAIL === "1" ? {} : undefined;
const keyOf = (sql: string, commit: boolean) => `${commit ? "[commit] " : ""}${sql.replace(/\s+/g, " ").trim().slice(0, 90)}`;
const note = (sql: string, commit: boolean) => {
  if (!detail) return;
  const key = keyOf(sql, commit);
  detail[key] = (detail[key] ?? 0) + 1;
};

const timeFile = process.env.SWITCHBOARD_BENCH_SQL_TIME;
/** inbox inserts per band of the timing table */
const BAND = 5000;
let inserts = 0;
/** per statement text: [runs, µs], overall and per band of inserts so far */
const timing: Record<string, [number, number]> = {};
const bands: Record<string, [number, number]>[] = [];
const keys = new WeakMap<object, string>();
function timed<T>(st: StatementSync | string, commit: boolean, run: () => T): T {
  if (!timeFile) return run();
  const sql = typeof st === "string" ? st : st.sourceSQL;
  let key = typeof st === "string" ? undefined : keys.get(st);
  if (key === undefined || commit) {
    key = keyOf(sql, commit);
    if (typeof st !== "string" && !commit) keys.set(st, key);
  }
  if (key.includes("INTO inbox")) inserts++;
  const t0 = process.hrtime.bigint();
  try {
    return run();
  } finally {
    const us = Number(process.hrtime.bigint() - t0) / 1000;
    const band = (bands[Math.floor(inserts / BAND)] ??= {});
    for (const table of [timing, band]) {
      const e = (table[key] ??= [0, 0]);
      e[0]++;
      e[1] += us;
    }
  }
}

for (const method of ["run", "get", "all", "iterate"] as const) {
  const original = StatementSync.prototype[method] as (...a: unknown[]) => unknown;
  (StatementSync.prototype as unknown as Record<string, unknown>)[method] = function (this: StatementSync, ...args: unknown[]) {
    counts.statements++;
    // a write outside BEGIN … COMMIT commits on its own
    const commit = autocommit(this) && isWrite(this);
    if (commit) counts.commits++;
    note(this.sourceSQL, commit);
    return timed(this, commit, () => original.apply(this, args));
  };
}

// a statement knows its SQL but not its database: every open database is remembered here
const open = new Set<DatabaseSync>();
const prepare = DatabaseSync.prototype.prepare;
const owner = new WeakMap<StatementSync, DatabaseSync>();
DatabaseSync.prototype.prepare = function (this: DatabaseSync, sql: string, ...rest: unknown[]) {
  open.add(this);
  const st = (prepare as (...a: unknown[]) => StatementSync).call(this, sql, ...rest);
  owner.set(st, this);
  return st;
} as typeof prepare;
const writes = new WeakMap<StatementSync, boolean>();
function isWrite(st: StatementSync): boolean {
  let w = writes.get(st);
  if (w === undefined) writes.set(st, (w = /^\s*(INSERT|UPDATE|DELETE|REPLACE)/i.test(st.sourceSQL)));
  return w;
}
function autocommit(st: StatementSync): boolean {
  const db = owner.get(st);
  return db !== undefined && !db.isTransaction;
}

const exec = DatabaseSync.prototype.exec;
DatabaseSync.prototype.exec = function (this: DatabaseSync, sql: string) {
  const s = sql.trim().toUpperCase();
  counts.statements++;
  if (s === "COMMIT" || s.startsWith("COMMIT")) counts.commits++;
  note(sql, false);
  return timed(sql, false, () => exec.call(this, sql));
};

let dumps = 0;
const dump = () => {
  writeFileSync(file!, JSON.stringify({ ...counts, dump: ++dumps, ...(detail ? { detail } : {}) }));
  if (timeFile) writeFileSync(`${timeFile}.${dumps}.json`, JSON.stringify({ timing, bands, band: BAND }));
};
if (file) {
  process.on("SIGUSR2", dump);
  dump(); // the file existing says the handler is in place (SIGUSR2 would end the process before)
}
