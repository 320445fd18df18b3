// Bytes allocated per call of a function, from V8's sampling heap profiler
// with the objects later collected counted too (what a scavenge has to sweep:
// the GC share of the daemon's CPU follows it). A count, not a time: it holds
// on a busy machine where CPU per call moves by a fifth between runs. Sampled
// every 1 KB on average, so a figure is good to a few per cent over
// thousands of calls.
import { Session } from "node:inspector/promises";

interface SamplingNode {
  selfSize: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children: SamplingNode[];
}

const session = new Session();
let connected = false;

function total(node: SamplingNode): number {
  let sum = node.selfSize;
  for (const c of node.children) sum += total(c);
  return sum;
}

/** bytes per call by the function that allocated them, largest first */
function byFunction(head: SamplingNode, n: number, top: number): string[] {
  const sums = new Map<string, number>();
  const walk = (node: SamplingNode) => {
    const f = node.callFrame;
    const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").slice(-2).join("/")}:${f.lineNumber + 1}`;
    sums.set(key, (sums.get(key) ?? 0) + node.selfSize);
    node.children.forEach(walk);
  };
  walk(head);
  return [...sums].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => `${(v / n / 1024).toFixed(2).padStart(7)} KB  ${k}`);
}

/**
 * bytes allocated per call of `fn`, `n` calls with `concurrency` in flight,
 * after a warm-up; with `top`, also the functions that allocated most
 */
export async function bytesPerCall(n: number, concurrency: number, fn: (i: number) => unknown, top = 0): Promise<{ bytes: number; top: string[] }> {
  if (!connected) session.connect(), (connected = true);
  const runN = async (count: number) => {
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < count) await fn(next++);
    }));
  };
  await runN(Math.min(300, n));
  await session.post("HeapProfiler.startSampling", { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  await runN(n);
  const { profile } = (await session.post("HeapProfiler.stopSampling")) as unknown as { profile: { head: SamplingNode } };
  return { bytes: total(profile.head) / n, top: top ? byFunction(profile.head, n, top) : [] };
}
