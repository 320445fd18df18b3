// What the gateway loads once it is ready instead of before: the model SDKs
// its entries speak (openai ~240 ms), the metrics registry (prom-client), the
// tools' JSON schemas the first turn sends (registering a tool checks only its
// shape; building them all took ~4 ms of the start) and the Markdown parser
// the channels format replies with (marked, 10–15 ms).
// Loading them before /ready would delay it; loading them on the first reply
// or scrape would delay that. The check is a cheap poll of the readiness the
// daemon already computes; a gateway that never gets ready warms up anyway
// after GIVE_UP_MS (its first reply should not pay either).
import { preloadMarkdown } from "../core/markdown.ts";

const POLL_MS = 20;
const GIVE_UP_MS = 30_000;

export interface WarmUpOptions {
  ready: () => boolean;
  /** told once, when ready() is first true (not after giving up) */
  onReady?: () => void;
  /** the loads to start; each handles its own failure */
  load: () => Promise<unknown>[];
}

/** starts the loads once ready() is true; the returned function cancels a warm-up that has not started */
export function warmUpWhenReady(opts: WarmUpOptions): () => void {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const check = () => {
    if (!opts.ready() && Date.now() - started < GIVE_UP_MS) {
      timer = setTimeout(check, POLL_MS);
      timer.unref();
      return;
    }
    timer = undefined;
    if (opts.ready()) opts.onReady?.();
    void Promise.allSettled([...opts.load(), preloadMarkdown()]);
  };
  check();
  return () => clearTimeout(timer);
}
