// One WebSocket to a WhatsApp bridge, kept open: every close (the bridge
// restarting, a dropped network, pings left unanswered) is followed by a new
// connection after an exponential backoff with jitter. The backoff starts
// over once a connection has stayed up for `stableAfterMs`, so a bridge that
// accepts and hangs up at once is not hammered.
//
// Status: "connecting" until the first connection opens, "online" while one
// is open, "reconnecting" (with the reason and the wait) between connections.
import type { RawData, WebSocket as Ws } from "ws";
import type { ChannelState } from "../../src/core/channel.ts";
import type { Clock } from "../../src/core/clock.ts";
import type { Logger } from "../../src/core/logger.ts";
import { Backoff, describeWait, sleepUnlessAborted } from "../../src/core/backoff.ts";
import { displayUrl } from "./config.ts";
import { errorMessage } from "../../src/core/errors.ts";

export interface BridgeConnectionOptions {
  url: string;
  WebSocket: typeof Ws;
  /** one text frame; frames are handed over one at a time, in order */
  onText(text: string): Promise<void>;
  setStatus(state: ChannelState, detail?: string): void;
  logger: Logger;
  clock: Clock;
  backoff: Backoff;
  stableAfterMs: number;
  /** ping the bridge this often and reconnect when a ping goes unanswered; 0: never */
  pingIntervalMs: number;
  handshakeTimeoutMs: number;
}

interface Outcome {
  opened: boolean;
  openedAt: number;
  reason: string;
}

/** base64 media in frames can be large; beyond this the bridge is misbehaving */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export class BridgeConnection {
  private readonly opts: BridgeConnectionOptions;
  private readonly abort = new AbortController();
  private ws: Ws | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  private chain: Promise<void> = Promise.resolve();
  private firstOpen: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private everOnline = false;
  /** why the last connection attempt or connection ended */
  lastError: string | undefined;
  /** connections opened so far */
  connections = 0;

  constructor(opts: BridgeConnectionOptions) {
    this.opts = opts;
  }

  get connected(): boolean {
    return this.ws?.readyState === this.opts.WebSocket.OPEN;
  }

  /** starts the loop; resolves at the first open, rejects when none opens within readyTimeoutMs */
  async start(readyTimeoutMs: number): Promise<void> {
    const opened = new Promise<void>((resolve, reject) => {
      this.firstOpen = { resolve, reject };
    });
    this.loopDone = this.loop().catch((err: unknown) => {
      const reason = `WhatsApp bridge loop crashed: ${errorMessage(err)}`;
      this.opts.logger.error({ err: reason }, "WhatsApp bridge connection stopped");
      this.opts.setStatus("offline", reason);
      this.firstOpen?.reject(new Error(reason));
    });
    const timer = setTimeout(() => {
      const last = this.lastError ? ` (last error: ${this.lastError})` : "";
      this.firstOpen?.reject(
        new Error(
          `could not connect to the WhatsApp bridge at ${displayUrl(this.opts.url)} within ${describeWait(readyTimeoutMs)}${last}: start the bridge, or fix channels.whatsapp.bridge_url`,
        ),
      );
    }, readyTimeoutMs);
    try {
      await opened;
    } finally {
      clearTimeout(timer);
      this.firstOpen = undefined;
    }
  }

  /** closes the connection and ends the loop; idempotent */
  async stop(): Promise<void> {
    this.abort.abort();
    this.firstOpen?.resolve();
    const ws = this.ws;
    if (ws && ws.readyState !== this.opts.WebSocket.CLOSED) {
      ws.close(1000, "stopping");
      // a bridge that does not answer the close handshake is cut off
      const timer = setTimeout(() => ws.terminate(), 1_000);
      timer.unref();
    }
    await this.loopDone;
    await this.chain;
  }

  /** writes one frame; throws when no connection is open (the outbox retries later) */
  async send(frame: unknown): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState !== this.opts.WebSocket.OPEN) {
      throw new Error(
        `WhatsApp bridge is not connected${this.lastError ? ` (${this.lastError})` : ""}; the message will be retried`,
      );
    }
    await new Promise<void>((resolve, reject) => {
      ws.send(JSON.stringify(frame), (err) =>
        err ? reject(new Error(`could not write to the WhatsApp bridge: ${err.message}; the message will be retried`)) : resolve(),
      );
    });
  }

  private async loop(): Promise<void> {
    const { clock, backoff, logger } = this.opts;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      const outcome = await this.connectOnce();
      if (signal.aborted) return;
      this.lastError = outcome.reason;
      if (outcome.opened && clock.now() - outcome.openedAt >= this.opts.stableAfterMs) backoff.reset();
      const delay = backoff.next();
      const state = this.everOnline ? "reconnecting" : "connecting";
      this.opts.setStatus(state, `${outcome.reason}; retrying in ${describeWait(delay)}`);
      logger.warn({ reason: outcome.reason, retryInMs: delay, failures: backoff.failures }, "WhatsApp bridge connection lost");
      await sleepUnlessAborted(clock, delay, signal);
    }
  }

  private connectOnce(): Promise<Outcome> {
    const { WebSocket, logger, clock } = this.opts;
    const shown = displayUrl(this.opts.url);
    return new Promise<Outcome>((resolve) => {
      let ws: Ws;
      try {
        ws = new WebSocket(this.opts.url, { handshakeTimeout: this.opts.handshakeTimeoutMs, maxPayload: MAX_FRAME_BYTES });
      } catch (err) {
        resolve({ opened: false, openedAt: 0, reason: `cannot connect to the WhatsApp bridge at ${shown}: ${errorMessage(err)}` });
        return;
      }
      this.ws = ws;
      let opened = false;
      let openedAt = 0;
      let error: string | undefined;
      let pinger: NodeJS.Timeout | undefined;
      let awaitingPong = false;
      ws.on("open", () => {
        if (this.abort.signal.aborted) return ws.close(1000, "stopping");
        opened = true;
        openedAt = clock.now();
        this.everOnline = true;
        this.connections++;
        this.lastError = undefined;
        this.opts.setStatus("online");
        logger.info({ bridge: shown }, "WhatsApp bridge connected");
        this.firstOpen?.resolve();
        if (this.opts.pingIntervalMs > 0) {
          pinger = setInterval(() => {
            if (awaitingPong) {
              error = "the WhatsApp bridge stopped answering pings";
              ws.terminate();
              return;
            }
            awaitingPong = true;
            ws.ping();
          }, this.opts.pingIntervalMs);
        }
      });
      ws.on("pong", () => {
        awaitingPong = false;
      });
      ws.on("message", (data: RawData, isBinary: boolean) => {
        if (isBinary) {
          logger.warn("ignoring a binary frame from the WhatsApp bridge (the bridge protocol is JSON text)");
          return;
        }
        const text = rawText(data);
        this.chain = this.chain.then(() =>
          this.opts.onText(text).catch((err: unknown) => {
            logger.error({ err: errorMessage(err) }, "could not handle a frame from the WhatsApp bridge");
          }),
        );
      });
      ws.on("error", (err: Error) => {
        error ??= describeSocketError(err);
      });
      ws.on("close", (code: number, reason: Buffer) => {
        clearInterval(pinger);
        if (this.ws === ws) this.ws = undefined;
        const why = reason.toString("utf8").slice(0, 200);
        const text = error
          ? opened
            ? `connection to the WhatsApp bridge at ${shown} failed: ${error}`
            : `cannot reach the WhatsApp bridge at ${shown}: ${error}`
          : opened
            ? `the WhatsApp bridge at ${shown} closed the connection (code ${code}${why ? `: ${why}` : ""})`
            : `the WhatsApp bridge at ${shown} closed the connection before it opened (code ${code})`;
        resolve({ opened, openedAt, reason: text });
      });
    });
  }
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data).toString("utf8");
}


function describeSocketError(err: Error): string {
  const code = (err as { code?: unknown }).code;
  if (code === "ECONNREFUSED") return "connection refused (is the bridge running?)";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "host not found (check channels.whatsapp.bridge_url)";
  if (code === "ECONNRESET") return "connection reset";
  if (/handshake has timed out/i.test(err.message)) return "the WebSocket handshake timed out";
  return err.message;
}
