// How fast this machine's memory answers right now, printed beside a bench's
// figures. The daemon's per-message work is bound by cache misses (the same
// query or zod check costs several times more inside it than in a loop), and
// on the shared 2-core machine the time one miss takes moved by ~20 % within
// a day, the floor's CPU per message by ~60 % with it (bench/README.md, stop
// 17). A pointer chase over 64 MB, in a child process so the bench's own heap
// stays as it was: nanoseconds per step, every step a miss. Beside it, the
// load average, which the gateway suite and latency-lone print too.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const CHASE = `
const n = 16 * 1024 * 1024, a = new Int32Array(n);
for (let i = 0; i < n; i++) a[i] = i;
let s = 12345;
for (let i = n - 1; i > 0; i--) { s = (s * 1103515245 + 12345) & 0x7fffffff; const j = s % (i + 1), t = a[i]; a[i] = a[j]; a[j] = t; }
const steps = 5e6; let p = 0; const t0 = performance.now();
for (let i = 0; i < steps; i++) p = a[p];
process.stdout.write(String(((performance.now() - t0) * 1e6) / steps + (p < 0 ? 1 : 0)));
`;

/** nanoseconds per step of a random pointer chase over 64 MB (about a second); undefined if the child fails */
export function memoryStepNs(): number | undefined {
  try {
    const ns = Number(execFileSync(process.execPath, ["-e", CHASE], { encoding: "utf8", timeout: 30_000 }));
    return Number.isFinite(ns) && ns > 0 ? ns : undefined;
  } catch {
    return undefined;
  }
}

/** "memory step 190 ns" or "memory step ?" */
export function memoryStepText(ns: number | undefined): string {
  return `memory step ${ns === undefined ? "?" : ns.toFixed(0)} ns`;
}

/** the 1-, 5- and 15-minute load averages as /proc/loadavg gives them; "?" where there is none (not Linux) */
export function machineLoad(): string {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {
    return "?";
  }
}
