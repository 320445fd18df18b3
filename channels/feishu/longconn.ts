// The long connection ("persistent connection" in the developer console):
// the SDK's WSClient asks {api_base}/callback/ws/endpoint for a WebSocket
// URL, connects, pings, reassembles fragmented events from protobuf frames
// and answers each one after our handler returned (200) or threw (500, so
// Feishu delivers it again). Its EventDispatcher routes im.message.receive_v1
// to us. The SDK is imported only when the channel starts.
//
// Reconnecting after a drop is the SDK's own loop, paced by what Feishu
// sends in ClientConfig (a random wait up to ReconnectNonce, then every
// ReconnectInterval). When the SDK gives up (the endpoint refuses the app,
// or its retries run out) this class starts a fresh client after an
// exponential backoff with jitter, and keeps trying until stop().
import type { ChannelState } from "../../src/core/channel.ts";
import { Backoff, sleepUnlessAborted } from "../../src/core/backoff.ts";
import type { Clock } from "../../src/core/clock.ts";
import type { Logger } from "../../src/core/logger.ts";

type Sdk = typeof import("@larksuiteoapi/node-sdk");
type WSClient = InstanceType<Sdk["WSClient"]>;

export interface LongConnectionOptions {
  appId: string;
  appSecret: string;
  /** the open-platform root; the SDK calls {apiBase}/callback/ws/endpoint */
  apiBase: string;
  encryptKey?: string;
  verificationToken?: string;
  /** one event in schema 2.0 ({schema, header, event}); resolves once stored */
  onEvent: (envelope: Record<string, unknown>) => Promise<void>;
  setStatus: (state: ChannelState, detail?: string) => void;
  logger: Logger;
  clock: Clock;
  initialBackoffMs: number;
  maxBackoffMs: number;
  random: () => number;
  /** start() waits this long for the first connection before reporting "connecting" and returning */
  readyTimeoutMs: number;
  /** no frame this long after a ping → the socket is dead and is replaced */
  pingTimeoutSeconds: number;
  scrub: (text: string) => string;
  /** how the bot is named in status lines */
  label: () => string;
}

type Outcome = "ready" | "timeout" | { error: Error };

export class LongConnection {
  private readonly opts: LongConnectionOptions;
  private sdk: Sdk | undefined;
  private client: WSClient | undefined;
  private readonly abort = new AbortController();
  private readonly backoff: Backoff;
  /** the socket is up (between onReady/onReconnected and the next drop) */
  connected = false;
  /** why the last connection attempt failed for good, if it did */
  lastError: string | undefined;

  constructor(opts: LongConnectionOptions) {
    this.backoff = new Backoff({ initialMs: opts.initialBackoffMs, maxMs: opts.maxBackoffMs, random: opts.random });
    this.opts = opts;
  }

  /** Resolves once connected (or still trying after readyTimeoutMs); throws when Feishu refuses the app outright. */
  async start(): Promise<void> {
    this.sdk ??= await import("@larksuiteoapi/node-sdk");
    if (this.abort.signal.aborted) return;
    const outcome = await this.open();
    if (typeof outcome === "object") {
      this.close();
      throw new Error(this.describe(outcome.error));
    }
    if (outcome === "timeout" && !this.abort.signal.aborted) {
      this.opts.setStatus("connecting", "the Feishu long connection is not up yet; still trying");
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.close();
  }

  private close(): void {
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    try {
      client?.close({ force: true });
    } catch {
      // already closed
    }
  }

  private open(): Promise<Outcome> {
    const sdk = this.sdk!;
    const { opts } = this;
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      const settle = (o: Outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.abort.signal.removeEventListener("abort", onStop);
        resolve(o);
      };
      const timer = setTimeout(() => settle("timeout"), opts.readyTimeoutMs);
      timer.unref();
      // stop() during the first connection ends the wait at once
      const onStop = () => settle("timeout");
      this.abort.signal.addEventListener("abort", onStop, { once: true });
      const mine = () => this.client === client && !this.abort.signal.aborted;
      const up = (how: string) => {
        if (!mine()) return;
        this.connected = true;
        this.backoff.reset();
        this.lastError = undefined;
        opts.setStatus("online", `${how} as ${opts.label()}`);
        settle("ready");
      };
      const client: WSClient = new sdk.WSClient({
        appId: opts.appId,
        appSecret: opts.appSecret,
        domain: opts.apiBase,
        logger: sdkLogger(opts.logger, opts.scrub),
        loggerLevel: sdk.LoggerLevel.debug,
        autoReconnect: true,
        handshakeTimeoutMs: 15_000,
        wsConfig: { pingTimeout: opts.pingTimeoutSeconds },
        source: "switchboard",
        onReady: () => up("long connection"),
        onReconnected: () => {
          up("long connection (reconnected)");
          if (mine()) opts.logger.info("Feishu long connection re-established");
        },
        onReconnecting: () => {
          if (!mine()) return;
          this.connected = false;
          opts.logger.warn("Feishu long connection dropped; reconnecting");
          opts.setStatus("reconnecting", "the Feishu long connection dropped; reconnecting");
        },
        onError: (err: Error) => {
          if (!mine()) return;
          this.connected = false;
          if (!settled) return settle({ error: err });
          void this.restartLater(err);
        },
      });
      this.client = client;
      const dispatcher = new sdk.EventDispatcher({
        ...(opts.encryptKey ? { encryptKey: opts.encryptKey } : {}),
        ...(opts.verificationToken ? { verificationToken: opts.verificationToken } : {}),
        logger: sdkLogger(opts.logger, opts.scrub),
        loggerLevel: sdk.LoggerLevel.debug,
      }).register({
        "im.message.receive_v1": async (data: Record<string, unknown>) => {
          await opts.onEvent(rebuildEnvelope(data));
        },
      });
      void client.start({ eventDispatcher: dispatcher }).catch((err: unknown) => settle({ error: err instanceof Error ? err : new Error(String(err)) }));
    });
  }

  /** the SDK gave up: a fresh client after a backoff, again and again until stop() */
  private async restartLater(err: Error): Promise<void> {
    this.close();
    while (!this.abort.signal.aborted) {
      const delay = this.backoff.next();
      const reason = this.describe(err);
      this.lastError = reason;
      this.opts.logger.warn({ reason, retryInMs: delay }, "Feishu long connection failed");
      this.opts.setStatus(/refused|credentials/i.test(reason) ? "offline" : "reconnecting", `${reason}; retrying in ${Math.max(1, Math.round(delay / 1000))} s`);
      await this.sleep(delay);
      if (this.abort.signal.aborted) return;
      const outcome = await this.open();
      if (outcome === "ready" || this.abort.signal.aborted) return;
      if (outcome === "timeout") {
        this.opts.setStatus("reconnecting", "the Feishu long connection is not up yet; still trying");
        return;
      }
      this.close();
      err = outcome.error;
    }
  }

  private sleep(ms: number): Promise<void> {
    return sleepUnlessAborted(this.opts.clock, ms, this.abort.signal);
  }

  /** one line a person can act on, from what the SDK reported */
  private describe(err: Error): string {
    const text = this.opts.scrub(err.message);
    const refused = /code=(-?\d+)(?:, msg=(.*))?/.exec(text);
    if (refused) {
      return (
        `Feishu refused the long connection (code ${refused[1]}${refused[2] ? `: ${refused[2]}` : ""}): check channels.feishu.app_id / app_secret, ` +
        'and that the app receives events through the persistent connection (developer console → Events & Callbacks → Subscription mode), or set channels.feishu.mode to "webhook"'
      );
    }
    return `the Feishu long connection failed: ${text}`;
  }
}

/** The SDK hands handlers header and event merged into one object; this puts the envelope back together. */
export function rebuildEnvelope(data: Record<string, unknown>): Record<string, unknown> {
  const { schema, event_id, event_type, create_time, token, app_id, tenant_key, ...event } = data;
  const header = Object.fromEntries(Object.entries({ event_id, event_type, create_time, token, app_id, tenant_key }).filter(([, v]) => v !== undefined));
  return { schema, header, event };
}

/**
 * The SDK logs through this (each call gets its arguments as one array).
 * Its errors are our warnings (we report the state ourselves), its debug
 * lines (event bodies among them) our trace; secrets and connection tickets
 * are scrubbed.
 */
function sdkLogger(logger: Logger, scrub: (text: string) => string) {
  const line = (args: unknown[]) =>
    scrub(
      args
        .flat()
        .map((a) => (a instanceof Error ? a.message : typeof a === "string" ? a : JSON.stringify(a)))
        .join(" "),
    );
  return {
    error: (...args: unknown[]) => logger.warn({ sdk: "lark" }, line(args)),
    warn: (...args: unknown[]) => logger.debug({ sdk: "lark" }, line(args)),
    info: (...args: unknown[]) => logger.debug({ sdk: "lark" }, line(args)),
    debug: (...args: unknown[]) => logger.trace({ sdk: "lark" }, line(args)),
    trace: (...args: unknown[]) => logger.trace({ sdk: "lark" }, line(args)),
  };
}
