// Once settling starts, V8's old generation grows less between full
// collections (OLD_GROWING_PERCENT): what a burst leaves resident at its end.
// Each side runs in a child process of its own, since the setting is process-wide, with the
// gateway's own V8 memory flags.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { MEMORY_NODE_FLAGS } from "../../src/cli/service.ts";

const MODULE = pathToFileURL(join(import.meta.dirname, "../../src/gateway/settle-memory.ts")).href;

/** ~100 MB kept alive, then objects that live long enough to be promoted and die: the old generation's largest size, MB */
const CHURN = `
import v8 from "node:v8";
const settle = process.argv[1] === "settle";
if (settle) {
  const { settleMemoryWhenQuiet } = await import(${JSON.stringify(MODULE)});
  settleMemoryWhenQuiet({ ready: () => false, collect: undefined, sweepYoung: undefined })();
}
const old = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === "old_space").space_size;
let peak = 0;
const live = [];
for (let i = 0; i < 200; i++) live.push(Array.from({ length: 10000 }, (_, j) => ({ j })));
const ring = new Array(400).fill(null);
for (let i = 0; i < 20000; i++) {
  ring[i % 400] = Array.from({ length: 200 }, (_, j) => ({ j, s: "x" + j }));
  if (i % 250 === 0) peak = Math.max(peak, old());
}
console.log(live.length + ring.length > 0 ? peak / 1048576 : 0);
`;

function peakMb(mode: "settle" | "plain"): number {
  const out = execFileSync(process.execPath, [...MEMORY_NODE_FLAGS.split(" "), "--input-type=module", "-e", CHURN, mode], { encoding: "utf8" });
  return Number(out.trim());
}

describe("the old generation's growth once the gateway serves", () => {
  it("stays closer to what is live between full collections", () => {
    const plain = peakMb("plain");
    const settled = peakMb("settle");
    expect(plain).toBeGreaterThan(100);
    // measured 125–128 MB against 103
    expect(settled).toBeLessThan(plain * 0.92);
  }, 60_000);
});
