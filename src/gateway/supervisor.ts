// Keeps one channel alive. Start failures and crashes are retried with
// exponential backoff and jitter; a watchdog restarts a channel that has
// been stuck out of "online" too long or whose probe keeps failing. Nothing
// a channel does can throw out of here, so one channel's trouble never stops
// the gateway or another channel.
import type { ChannelAdapter, ChannelCursors, ChannelState, InboundMessage } from "../core/channel.ts";
import type { Logger } from "../core/logger.ts";

export interface SupervisorOptions {
  adapter: ChannelAdapter;
  /** stores the message; the adapter acknowledges the platform after this resolves */
  emit: (msg: InboundMessage) => Promise<void>;
  /** the channel's durable per-chat positions (catch-up after downtime) */
  cursors?: ChannelCursors;
  logger: Logger;
  now?: () => number;
  /** first retry delay; default 1 s, doubling to maxBackoffMs */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** restart when not online for this long after starting; default 5 min */
  stuckAfterMs?: number;
  /** how often the watchdog looks; default 30 s */
  watchdogEveryMs?: number;
  random?: () => number;
}

export interface ChannelStatus {
  id: string;
  state: ChannelState;
  detail?: string;
  lastError?: string;
  lastInboundAt?: number;
  since: number;
  restarts: number;
}

export class ChannelSupervisor {
  private readonly opts: SupervisorOptions;
  private readonly now: () => number;
  private state: ChannelState = "offline";
  private detail: string | undefined;
  private lastError: string | undefined;
  private lastInboundAt: number | undefined;
  private since: number;
  private restarts = 0;
  private failures = 0;
  private run: AbortController | undefined;
  private stopped = true;
  private retryTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private probeFailures = 0;

  constructor(opts: SupervisorOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.since = this.now();
  }

  get id(): string {
    return this.opts.adapter.id;
  }

  status(): ChannelStatus {
    return {
      id: this.id,
      state: this.state,
      since: this.since,
      restarts: this.restarts,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      ...(this.lastInboundAt ? { lastInboundAt: this.lastInboundAt } : {}),
    };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.attempt();
    const every = this.opts.watchdogEveryMs ?? 30_000;
    this.watchdog = setInterval(() => void this.check(), every);
    this.watchdog.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.watchdog) clearInterval(this.watchdog);
    this.run?.abort();
    await this.opts.adapter.stop().catch((err: unknown) => this.opts.logger.warn({ channel: this.id, err: errText(err) }, "channel stop failed"));
    this.setState("stopped");
  }

  /** stops and starts the adapter again (watchdog, config reload) */
  async restart(reason: string): Promise<void> {
    if (this.stopped) return;
    this.opts.logger.warn({ channel: this.id, reason }, "restarting channel");
    this.restarts++;
    this.run?.abort();
    await this.opts.adapter.stop().catch(() => undefined);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    void this.attempt();
  }

  private setState(state: ChannelState, detail?: string): void {
    if (state !== this.state) this.since = this.now();
    this.state = state;
    this.detail = detail;
    if (state === "online") {
      this.failures = 0;
      this.probeFailures = 0;
    }
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    const run = new AbortController();
    this.run = run;
    this.setState(this.restarts === 0 && this.failures === 0 ? "connecting" : "reconnecting");
    let reported = false;
    try {
      await this.opts.adapter.start({
        signal: run.signal,
        ...(this.opts.cursors ? { cursors: this.opts.cursors } : {}),
        emit: async (msg) => {
          this.lastInboundAt = this.now();
          await this.opts.emit(msg);
        },
        setStatus: (state, detail) => {
          if (run.signal.aborted) return;
          reported = true;
          this.setState(state, detail);
          if (state === "offline" && detail) this.lastError = detail;
        },
      });
      // an adapter that reports no state of its own is online once start() resolves
      if (!run.signal.aborted && !reported) this.setState("online");
    } catch (err) {
      if (run.signal.aborted || this.stopped) return;
      this.lastError = errText(err);
      this.failures++;
      const delay = this.backoff();
      this.opts.logger.warn({ channel: this.id, err: this.lastError, retryInMs: delay }, "channel failed to start");
      this.setState("reconnecting", `retrying in ${Math.round(delay / 1000)} s: ${this.lastError}`);
      this.retryTimer = setTimeout(() => {
        this.restarts++;
        void this.opts.adapter.stop().catch(() => undefined).then(() => this.attempt());
      }, delay);
      this.retryTimer.unref();
    }
  }

  private backoff(): number {
    const initial = this.opts.initialBackoffMs ?? 1000;
    const max = this.opts.maxBackoffMs ?? 5 * 60_000;
    const base = Math.min(max, initial * 2 ** Math.max(0, this.failures - 1));
    const jitter = 0.8 + 0.4 * (this.opts.random ?? Math.random)();
    return Math.round(base * jitter);
  }

  /** the watchdog: a channel stuck out of online, or failing its probe twice, is restarted */
  private async check(): Promise<void> {
    if (this.stopped) return;
    const stuckAfter = this.opts.stuckAfterMs ?? 5 * 60_000;
    if ((this.state === "connecting" || this.state === "reconnecting") && this.now() - this.since > stuckAfter && !this.pendingRetry()) {
      await this.restart(`not online for ${Math.round((this.now() - this.since) / 1000)} s`);
      return;
    }
    if (this.state === "online" && this.opts.adapter.probe) {
      try {
        await this.opts.adapter.probe();
        this.probeFailures = 0;
      } catch (err) {
        this.probeFailures++;
        this.lastError = errText(err);
        if (this.probeFailures >= 2) await this.restart(`probe failed twice: ${this.lastError}`);
      }
    }
  }

  private pendingRetry(): boolean {
    return this.failures > 0 && this.state === "reconnecting" && this.detail?.startsWith("retrying") === true;
  }
}

function errText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
