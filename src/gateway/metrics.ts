// The gateway's metrics as the daemon uses them: turn and send latencies are
// timed here on every message, and GET /metrics renders them with the rest
// (metrics-registry.ts, prom-client). prom-client and its registry (~80 ms of
// CPU and several MB at start) are loaded by load(), which the daemon calls
// right after it is ready; what was timed before that is kept (bounded) and
// recorded once the registry exists. A scrape before then loads it at once.
import type { ChannelAdapter } from "../core/channel.ts";
import type { Attempt } from "../providers/types.ts";
import type { MetricsRegistry } from "./metrics-registry.ts";

export interface Counters {
  inbound: number;
  duplicates: number;
}

export interface MetricsSource {
  counters: Counters;
  readiness(): { ready: boolean; detail: Record<string, string> };
  /** the /status document (it reads the store, so it may be a promise) */
  status(): unknown;
  /** the router's recent attempts, oldest first */
  attempts?(): Attempt[];
  /** vendor (provider) of a model entry */
  providerOf?(entryId: string): string | undefined;
}

type Kind = "turnSeconds" | "sendSeconds";
type Outcome = "ok" | "error";
/** observations kept while the registry loads; a start that takes longer drops the rest */
const MAX_EARLY = 10_000;

export class GatewayMetrics {
  private readonly src: MetricsSource;
  private registry: MetricsRegistry | undefined;
  private loading: Promise<MetricsRegistry> | undefined;
  private early: [Kind, string, Outcome, number][] = [];
  private readonly wrapped = new WeakMap<ChannelAdapter, ChannelAdapter>();

  constructor(src: MetricsSource) {
    this.src = src;
  }

  /** loads prom-client and builds the registry (once); observations made before are recorded */
  load(): Promise<MetricsRegistry> {
    this.loading ??= import("./metrics-registry.ts").then(({ MetricsRegistry }) => {
      const reg = new MetricsRegistry(this.src);
      for (const [kind, channel, outcome, seconds] of this.early) reg[kind].observe({ channel, outcome }, seconds);
      this.early = [];
      this.registry = reg;
      return reg;
    });
    return this.loading;
  }

  private observe(kind: Kind, channel: string, outcome: Outcome, started: number): void {
    const seconds = (performance.now() - started) / 1000;
    if (this.registry) this.registry[kind].observe({ channel, outcome }, seconds);
    else if (this.early.length < MAX_EARLY) this.early.push([kind, channel, outcome, seconds]);
  }

  /** times one agent turn */
  async timeTurn<T>(channel: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const out = await run();
      this.observe("turnSeconds", channel, "ok", started);
      return out;
    } catch (err) {
      this.observe("turnSeconds", channel, "error", started);
      throw err;
    }
  }

  /** the adapter with its send() timed (one wrapper per adapter) */
  timedAdapter(adapter: ChannelAdapter | undefined): ChannelAdapter | undefined {
    if (!adapter) return undefined;
    let w = this.wrapped.get(adapter);
    if (!w) {
      w = Object.create(adapter, {
        send: {
          value: async (chatId: string, chunk: Parameters<ChannelAdapter["send"]>[1]) => {
            const started = performance.now();
            try {
              const r = await adapter.send(chatId, chunk);
              this.observe("sendSeconds", adapter.id, "ok", started);
              return r;
            } catch (err) {
              this.observe("sendSeconds", adapter.id, "error", started);
              throw err;
            }
          },
        },
      }) as ChannelAdapter;
      this.wrapped.set(adapter, w);
    }
    return w;
  }

  /** the exposition text for GET /metrics */
  async render(): Promise<string> {
    return (await this.load()).render();
  }
}
