// Keeps one channel alive. Each start is a generation with its own abort
// signal: the adapter runs until that signal aborts. Failures are decided on
// their ChannelError code, never on message text:
//   transient     retried with the shared backoff (src/core/backoff.ts)
//   rate_limited  retried after the platform's retry time
//   auth          the channel goes offline with the reason and is NOT retried:
//                 only a config change (reload) or a restart can fix it
//   permanent     offline, not retried
// A watchdog restarts a channel stuck out of "online" too long or whose probe
// keeps failing. Nothing a channel does can throw out of here, so one
// channel's trouble never stops the gateway or another channel.
import { Backoff, describeWait } from "../core/backoff.ts";
import { channelErrorCode, ChannelError, type ChannelAdapter, type ChannelCursors, type ChannelState, type InboundMessage } from "../core/channel.ts";
import type { Logger } from "../core/logger.ts";
import { errorMessage } from "../core/errors.ts";

export interface SupervisorOptions {
  adapter: ChannelAdapter;
  /** stores the message; the adapter acknowledges the platform after this resolves */
  emit: (msg: InboundMessage) => Promise<void>;
  /** the channel's durable per-chat positions (catch-up after downtime) */
  cursors?: ChannelCursors;
  /** how many updates a pulling channel asks for in its next read (ChannelContext.readAhead) */
  readAhead?: () => number | undefined;
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
  /** told after each change of state (not of detail alone), with the new status */
  onState?: (status: ChannelStatus) => void;
}

export interface ChannelStatus {
  id: string;
  state: ChannelState;
  detail?: string;
  lastError?: string;
  /** the code of the last failure, when there was one */
  lastErrorCode?: ChannelError["code"];
  lastInboundAt?: number;
  since: number;
  restarts: number;
}

export class ChannelSupervisor {
  private readonly opts: SupervisorOptions;
  private readonly now: () => number;
  private readonly backoff: Backoff;
  private state: ChannelState = "offline";
  private detail: string | undefined;
  private lastError: string | undefined;
  private lastErrorCode: ChannelError["code"] | undefined;
  private lastInboundAt: number | undefined;
  private since: number;
  private restarts = 0;
  /** the running generation's controller; aborting it ends that generation */
  private run: AbortController | undefined;
  private stopped = true;
  /** set by an auth or permanent failure: no retries until restart() */
  private parked = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private probeFailures = 0;

  constructor(opts: SupervisorOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.since = this.now();
    this.backoff = new Backoff({ initialMs: opts.initialBackoffMs ?? 1000, maxMs: opts.maxBackoffMs ?? 5 * 60_000, ...(opts.random ? { random: opts.random } : {}) });
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
      ...(this.lastErrorCode ? { lastErrorCode: this.lastErrorCode } : {}),
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
    await this.endGeneration();
    this.setState("stopped");
  }

  /** ends the running generation and starts a new one (watchdog, config reload) */
  async restart(reason: string): Promise<void> {
    if (this.stopped) return;
    this.opts.logger.warn({ channel: this.id, reason }, "restarting channel");
    this.restarts++;
    this.parked = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.endGeneration();
    void this.attempt();
  }

  /**
   * The platform rejected the channel's credentials (from a send or a probe):
   * offline with the reason, no retries; fixing the config and reloading
   * starts it again.
   */
  authFailed(message: string): void {
    if (this.stopped || this.parked) return;
    void this.park(new ChannelError("auth", message));
  }

  private async endGeneration(): Promise<void> {
    this.run?.abort();
    await this.opts.adapter.stop().catch((err: unknown) => this.opts.logger.warn({ channel: this.id, err: errText(err) }, "channel stop failed"));
  }

  private setState(state: ChannelState, detail?: string): void {
    const changed = state !== this.state;
    if (changed) this.since = this.now();
    this.state = state;
    this.detail = detail;
    if (state === "online") {
      this.backoff.reset();
      this.probeFailures = 0;
    }
    if (changed) this.opts.onState?.(this.status());
  }

  private async attempt(): Promise<void> {
    if (this.stopped || this.parked) return;
    const run = new AbortController();
    this.run = run;
    this.setState(this.restarts === 0 && this.backoff.failures === 0 ? "connecting" : "reconnecting");
    let reported = false;
    try {
      await this.opts.adapter.start({
        signal: run.signal,
        ...(this.opts.cursors ? { cursors: this.opts.cursors } : {}),
        ...(this.opts.readAhead ? { readAhead: this.opts.readAhead } : {}),
        emit: async (msg) => {
          this.lastInboundAt = this.now();
          await this.opts.emit(msg);
        },
        setStatus: (state, detail) => {
          // a late report from an ended generation must not overwrite the current one
          if (run.signal.aborted || this.run !== run) return;
          reported = true;
          this.setState(state, detail);
          if (state === "offline" && detail) this.lastError = detail;
        },
        fail: (err) => {
          if (run.signal.aborted || this.run !== run || this.stopped) return;
          void this.failed(err);
        },
      });
      // an adapter that reports no state of its own is online once start() resolves
      if (!run.signal.aborted && !reported) this.setState("online");
    } catch (err) {
      if (run.signal.aborted || this.stopped) return;
      await this.failed(err);
    }
  }

  /** a start failed: what happens next depends only on the error's code */
  private async failed(err: unknown): Promise<void> {
    const code = channelErrorCode(err);
    this.lastError = errText(err);
    this.lastErrorCode = code;
    if (code === "auth" || code === "permanent") return this.park(err);
    const delay = code === "rate_limited" ? ((err as ChannelError).retryAfterMs ?? 1000) : this.backoff.next();
    this.opts.logger.warn({ channel: this.id, code, err: this.lastError, retryInMs: delay }, "channel failed to start");
    this.setState("reconnecting", `retrying in ${describeWait(delay)}: ${this.lastError}`);
    this.retryTimer = setTimeout(() => {
      this.restarts++;
      void this.endGeneration().then(() => this.attempt());
    }, delay);
    this.retryTimer.unref();
  }

  /** offline for good (until restart/reload): retrying cannot fix an auth or permanent failure */
  private async park(err: unknown): Promise<void> {
    this.parked = true;
    this.lastError = errText(err);
    this.lastErrorCode = channelErrorCode(err);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const what = this.lastErrorCode === "auth" ? "credentials rejected" : "cannot run";
    this.opts.logger.error({ channel: this.id, code: this.lastErrorCode, err: this.lastError }, `channel ${this.id} is offline: ${what}; fix the config and reload`);
    await this.endGeneration();
    this.setState("offline", `${what}: ${this.lastError} (fix channels.${this.id} and reload; not retried)`);
  }

  /** the watchdog: a channel stuck out of online, or failing its probe twice, is restarted */
  private async check(): Promise<void> {
    if (this.stopped || this.parked) return;
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
        if (channelErrorCode(err) === "auth") return this.park(err);
        this.probeFailures++;
        this.lastError = errText(err);
        if (this.probeFailures >= 2) await this.restart(`probe failed twice: ${this.lastError}`);
      }
    }
  }

  private pendingRetry(): boolean {
    return this.backoff.failures > 0 && this.state === "reconnecting" && this.detail?.startsWith("retrying") === true;
  }
}

function errText(err: unknown): string {
  const text = errorMessage(err);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
