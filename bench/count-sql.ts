// Preloaded into a benchmarked process (node --import bench/count-sql.ts):
// counts SQLite statements executed and transactions committed, so the bench
// can print "statements and commits per message" next to the times. On
// SIGUSR2 the totals so far are written to $SWITCHBOARD_BENCH_SQL_FILE as
// JSON. Counting is two increments per statement; it does not change what
// runs.
import { writeFileSync } from "node:fs";
import { DatabaseSync, StatementSync } from "node:sqlite";

const counts = { statements: 0, commits: 0 };
const file = process.env.SWITCHBOARD_BENCH_SQL_FILE;
// SWITCHBOARD_BENCH_SQL_DETAIL=1: also a count per statement text (which statement runs how often)
const detail: Record<string, number> | undefined = process.env.SWITCHBOARD_BENCH_SQL_DETAIL === "1" ? {} : undefined;
const note = (sql: string, commit: boolean) => {
  if (!detail) return;
  const key = `${commit ? "[commit] " : ""}${sql.replace(/\s+/g, " ").trim().slice(0, 90)}`;
  detail[key] = (detail[key] ?? 0) + 1;
};

for (const method of ["run", "get", "all", "iterate"] as const) {
  const original = StatementSync.prototype[method] as (...a: unknown[]) => unknown;
  (StatementSync.prototype as unknown as Record<string, unknown>)[method] = function (this: StatementSync, ...args: unknown[]) {
    counts.statements++;
    // a write outside BEGIN … COMMIT commits on its own
    const commit = autocommit(this) && isWrite(this);
    if (commit) counts.commits++;
    note(this.sourceSQL, commit);
    return original.apply(this, args);
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
  return exec.call(this, sql);
};

let dumps = 0;
const dump = () => writeFileSync(file!, JSON.stringify({ ...counts, dump: ++dumps, ...(detail ? { detail } : {}) }));
if (file) {
  process.on("SIGUSR2", dump);
  dump(); // the file existing says the handler is in place (SIGUSR2 would end the process before)
}
