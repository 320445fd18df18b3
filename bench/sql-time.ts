// Prints what bench/count-sql.ts timed (SWITCHBOARD_BENCH_SQL_TIME=<file>):
//   node bench/sql-time.ts <file>.<a>.json <file>.<b>.json
// the statements run between the two dumps (e.g. the ones the gateway bench
// takes before and after its burst), heaviest first: runs and microseconds
// per inbound message, and microseconds per run in each band of 5,000 inbox
// inserts, so a statement that slows down as the tables grow stands out.
import { readFileSync } from "node:fs";

type Table = Record<string, [number, number]>;
interface Dump {
  timing: Table;
  bands: (Table | null)[];
  band: number;
}

const [fa, fb] = process.argv.slice(2);
if (!fa || !fb) {
  console.error("usage: node bench/sql-time.ts <earlier dump .json> <later dump .json>");
  process.exit(64);
}
const read = (f: string) => JSON.parse(readFileSync(f, "utf8")) as Dump;
const a = read(fa);
const b = read(fb);

const diff = (x: Table, y: Table): Table => {
  const out: Table = {};
  for (const [k, [n, us]] of Object.entries(y)) {
    const [n0, us0] = x[k] ?? [0, 0];
    if (n > n0) out[k] = [n - n0, us - us0];
  }
  return out;
};
const d = diff(a.timing, b.timing);
const messages = Object.entries(d)
  .filter(([k]) => k.includes("INTO inbox"))
  .reduce((s, [, [n]]) => s + n, 0);
const total = Object.values(d).reduce((s, [, us]) => s + us, 0);
console.log(`${messages} inbox inserts; SQLite ${(total / 1000).toFixed(0)} ms = ${(total / Math.max(1, messages)).toFixed(1)} µs per message`);
// the bands that fall (at least partly) between the two dumps, each as what it gained
const first = Math.floor(Math.max(0, Object.entries(a.timing).filter(([k]) => k.includes("INTO inbox")).reduce((s, [, [n]]) => s + n, 0)) / b.band);
const bands = b.bands.map((t, i) => (i >= first && t ? diff(i < a.bands.length ? a.bands[i] ?? {} : {}, t) : {}));
const header = bands.map((_, i) => (i >= first ? `${((i * b.band) / 1000).toFixed(0)}k`.padStart(6) : "")).join("");
console.log(`${"runs/msg".padStart(8)} ${"µs/msg".padStart(7)} ${"µs/run".padStart(7)}  µs/run from … inserts:${header}  statement`);
for (const [k, [n, us]] of Object.entries(d).sort((x, y) => y[1][1] - x[1][1])) {
  const perBand = bands.map((t, i) => (i < first ? "" : t[k] ? (t[k]![1] / t[k]![0]).toFixed(1).padStart(6) : "     -")).join("");
  console.log(`${(n / Math.max(1, messages)).toFixed(2).padStart(8)} ${(us / Math.max(1, messages)).toFixed(1).padStart(7)} ${(us / n).toFixed(1).padStart(7)}  ${" ".repeat(23)}${perBand}  ${k}`);
}
