// What the gateway loads once it is ready instead of before: the model SDKs
// its entries speak (openai ~240 ms), the metrics registry (prom-client), the
// tools' JSON schemas the first turn sends (registering a tool checks only its
// shape; building them all took ~4 ms of the start) and the Markdown parser
// the channels format replies with (marked, 10–15 ms).
// Loading them before /ready would delay it; loading them on the first reply
// or scrape would delay that. Readiness is looked at once at the start and
// again after each change of a channel's state (no poll: the "gateway ready"
// line and its startupMs are the moment the last channel came online); a
// gateway that never gets ready warms up anyway after GIVE_UP_MS (its first
// reply should not pay either).
// The loads wait QUIET_AFTER_READY_MS and then run one at a time, the event
// loop turning between them: a module's code runs in one piece (the SDKs'
// tens of milliseconds), and started all at once at the moment of ready they
// held up whatever came then, the supervisor's /ready among it (a start the
// gateway counted ready at 340 ms answered /ready at 423).
import { preloadMarkdown } from "../core/markdown.ts";
import { preloadSdks } from "../providers/protocols/factory.ts";
import type { Runtime } from "./runtime.ts";

const GIVE_UP_MS = 30_000;
/** the first moments after ready belong to whoever waited for it: a supervisor's probe, messages queued during the start */
export const QUIET_AFTER_READY_MS = 50;

/** one thing to load; it handles its own failure (a warm-up never fails) */
export type WarmUpLoad = () => unknown;

/** what a runtime builds on first use: the model SDKs its entries speak, its tools' schemas */
export function runtimeLoads(rt: Pick<Runtime, "directory" | "tools">): WarmUpLoad[] {
  return [() => preloadSdks(rt.directory.all()), () => rt.tools.specs()];
}

export interface WarmUpOptions {
  ready: () => boolean;
  /** calls its listener after anything ready() reads may have changed; returns the function that stops it */
  changes: (listener: () => void) => () => void;
  /** told once, at the moment ready() is first true (not after giving up) */
  onReady?: () => void;
  /** the loads, asked for when they are about to run, run one after another */
  load: () => WarmUpLoad[];
  /** told when the last load finished, with the time they took */
  done?: (ms: number) => void;
}

/** starts the loads once ready() is true; the returned function cancels a warm-up that has not started */
export function warmUpWhenReady(opts: WarmUpOptions): () => void {
  let waiting = true;
  let cancelLoads = () => {};
  const stopWaiting = () => {
    waiting = false;
    stopListening();
    clearTimeout(giveUp);
  };
  const begin = (ready: boolean) => {
    stopWaiting();
    if (ready) opts.onReady?.();
    cancelLoads = loadSoon(() => [...opts.load(), preloadMarkdown], opts.done);
  };
  const stopListening = opts.changes(() => {
    if (waiting && opts.ready()) begin(true);
  });
  const giveUp = setTimeout(() => begin(false), GIVE_UP_MS);
  giveUp.unref();
  if (opts.ready()) begin(true);
  return () => {
    stopWaiting();
    cancelLoads();
  };
}

/**
 * Runs the loads QUIET_AFTER_READY_MS from now, one at a time: the start's
 * warm-up, and a reload's for what its new runtime builds lazily (the tool
 * schemas, an SDK a new model entry speaks), which the first turn after it
 * would otherwise pay for. Returns the function that cancels loads not begun.
 */
export function loadSoon(load: () => WarmUpLoad[], done?: (ms: number) => void): () => void {
  const timer = setTimeout(() => {
    const started = performance.now();
    void oneAtATime(load()).then(() => done?.(Math.round(performance.now() - started)));
  }, QUIET_AFTER_READY_MS);
  timer.unref();
  return () => clearTimeout(timer);
}

async function oneAtATime(loads: readonly WarmUpLoad[]): Promise<void> {
  for (const load of loads) {
    // what arrived while the last one ran (a request, a message) is served before the next starts
    await new Promise((resolve) => setImmediate(resolve));
    try {
      await load();
    } catch {
      // each load reports its own failure; the next one still runs
    }
  }
}
