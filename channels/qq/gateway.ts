// The QQ gateway over a WebSocket (the `ws` package, imported when the
// channel starts). One connection at a time:
//   HELLO (op 10) → IDENTIFY (op 2: "QQBot <token>", intents, shard [0, 1]),
//   or RESUME (op 6: session_id + seq) when a session exists
//   → READY / RESUMED → DISPATCHes (op 0, numbered by s)
//   heartbeats (op 1, d = the last s handled) every heartbeat_interval;
//   a heartbeat left without ACK (op 11) means a dead link: reconnect.
// RECONNECT (op 7) and dropped sockets reconnect and RESUME (QQ replays what
// was missed); INVALID_SESSION (op 9) and close codes that end the session
// forget it and IDENTIFY again. Reconnects wait with exponential backoff and
// jitter. Close codes QQ documents as hopeless (banned, shard or intent
// refused) stop the channel with the reason.
//
// Dispatches are handled one at a time, in order; `seq` moves past a message
// only once it was handed to the gateway, so a connection lost meanwhile
// resumes from before it and QQ sends it again (the adapter drops repeats).
// The session and seq are reported as they move (onSession), so the adapter
// keeps them across a restart (session.ts) and the first connection of the
// next run RESUMEs; a session QQ no longer knows (INVALID_SESSION) is
// forgotten and the start goes on with IDENTIFY.
import type { RawData, WebSocket as Ws } from "ws";
import { ChannelError, type ChannelState } from "../../src/core/channel.ts";
import { Backoff, jitter, sleepUnlessAborted } from "../../src/core/backoff.ts";
import type { Clock } from "../../src/core/clock.ts";
import type { Logger } from "../../src/core/logger.ts";
import { closeEndsSession, fatalCloseReason } from "./errors.ts";
import { Envelope, Hello, Op, Ready } from "./schema.ts";
import { errorMessage } from "../../src/core/errors.ts";

export interface GatewayOptions {
  intents: number;
  tokens: { get(): Promise<string>; invalidate(token: string): void };
  /** the wss:// address (GET /gateway/bot) */
  gatewayUrl(): Promise<string>;
  /** handles one dispatch; dispatches are handed over one at a time, in order */
  onDispatch(t: string, d: unknown): Promise<void>;
  setStatus(state: ChannelState, detail?: string): void;
  /** after start: QQ closed for good (banned, intents refused); the supervisor takes over */
  fail?(err: ChannelError): void;
  logger: Logger;
  clock: Clock;
  initialBackoffMs: number;
  maxBackoffMs: number;
  random: () => number;
  /** start() fails when the first READY has not come by then */
  readyTimeoutMs: number;
  scrub(text: string): string;
  /** a session saved by an earlier run: the first connection RESUMEs it (session.ts) */
  resume?: { sessionId: string; seq: number };
  /** the session moved (READY, a dispatch handled) or ended (undefined): persist it */
  onSession?(session: { sessionId: string; seq: number } | undefined): void;
  /** a heartbeat was acknowledged: the session is alive */
  onAlive?(): void;
}

interface Conn {
  ws: Ws;
  token: string;
  acked: boolean;
  online: boolean;
  /** HELLO seen (it is answered once) */
  greeted: boolean;
  /** set by what ended the connection on purpose (op 7, op 9, missed ACK) */
  ended?: Ended;
}

interface Ended {
  reason: string;
  fatal?: string;
  /** reconnect soon (QQ asked for it) */
  quick?: boolean;
  /** the session was refused or ended: identify afresh, even before the first READY */
  identifyAgain?: boolean;
  online?: boolean;
  error?: unknown;
}

export class QqGateway {
  private readonly opts: GatewayOptions;
  private readonly abort = new AbortController();
  private conn: Conn | undefined;
  private stopped = false;
  private everReady = false;
  private ready: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  private chain: Promise<void> = Promise.resolve();
  /** bumped when a session starts or ends, so late handlers of an old one cannot move `seq` */
  private epoch = 0;
  sessionId: string | undefined;
  /** s of the last dispatch handled in this session */
  seq: number | null = null;
  bot: { id?: string; username?: string } | undefined;
  /** why the loop ended for good, once it has */
  endedFor: string | undefined;

  constructor(opts: GatewayOptions) {
    this.opts = opts;
    if (opts.resume) {
      this.sessionId = opts.resume.sessionId;
      this.seq = opts.resume.seq;
    }
  }

  get connected(): boolean {
    return this.conn?.online === true;
  }

  get running(): boolean {
    return !this.stopped && this.endedFor === undefined;
  }

  /** resolves at the first READY; rejects when the first connection fails or READY does not come */
  async start(): Promise<void> {
    const { WebSocket } = await import("ws");
    const ready = new Promise<void>((resolve, reject) => {
      this.ready = { resolve, reject };
    });
    this.loopDone = this.loop(WebSocket).catch((err: unknown) => {
      this.endedFor = `QQ gateway loop crashed: ${errorMessage(err)}`;
      this.opts.logger.error({ err: this.endedFor }, "QQ gateway stopped");
      this.opts.setStatus("offline", this.endedFor);
      this.failStart(new Error(this.endedFor));
    });
    const timer = setTimeout(
      () => this.failStart(new Error(`QQ gateway was not ready after ${Math.round(this.opts.readyTimeoutMs / 1000)} s (check the network and channels.qq.api_base)`)),
      this.opts.readyTimeoutMs,
    );
    try {
      await ready;
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(timeoutMs = 2_000): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.abort.abort();
      this.ready?.resolve();
      const ws = this.conn?.ws;
      if (ws) {
        try {
          ws.close(1000, "switchboard stopping");
        } catch {
          ws.terminate();
        }
        setTimeout(() => ws.terminate(), 1_000).unref();
      }
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.loopDone, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  private failStart(err: Error): void {
    if (this.everReady || !this.ready) return;
    const r = this.ready;
    this.ready = undefined;
    r.reject(err);
  }

  private async loop(WebSocket: typeof Ws): Promise<void> {
    const backoff = new Backoff({ initialMs: this.opts.initialBackoffMs, maxMs: this.opts.maxBackoffMs, random: this.opts.random });
    while (!this.stopped) {
      let ended: Ended;
      try {
        ended = await this.connectOnce(WebSocket);
      } catch (err) {
        const text = this.opts.scrub(errorMessage(err));
        ended = { reason: text, error: err };
      }
      if (this.stopped) return;
      if (ended.fatal) {
        this.endedFor = ended.fatal;
        this.opts.logger.error({ reason: ended.fatal }, "QQ gateway closed for good");
        this.opts.setStatus("offline", ended.fatal);
        // QQ documents these closes as hopeless: retrying cannot help
        const err = new ChannelError("permanent", ended.fatal);
        if (this.everReady) this.opts.fail?.(err);
        this.failStart(err);
        return;
      }
      // a saved session QQ no longer knows is no reason to give up the start
      if (!this.everReady && !ended.identifyAgain) {
        this.endedFor = ended.reason;
        this.failStart(ended.error instanceof Error ? new Error(this.opts.scrub(ended.error.message)) : new Error(`QQ gateway: ${ended.reason}`));
        return;
      }
      // a connection that was online starts the waits over
      if (ended.online) backoff.reset();
      const delay = ended.quick ? this.jitter(Math.min(250, this.opts.initialBackoffMs)) : backoff.next();
      const wait = delay < 1000 ? `${delay} ms` : `${(delay / 1000).toFixed(1)} s`;
      this.opts.logger.warn({ reason: ended.reason, retryInMs: delay }, "QQ gateway connection lost; reconnecting");
      this.opts.setStatus("reconnecting", `${ended.reason}; reconnecting in ${wait}`);
      await this.sleep(delay);
    }
  }


  private jitter(ms: number): number {
    return jitter(ms, this.opts.random);
  }

  /** the clock's sleep, cut short by stop() */
  private sleep(ms: number): Promise<void> {
    return sleepUnlessAborted(this.opts.clock, ms, this.abort.signal);
  }

  private async connectOnce(WebSocket: typeof Ws): Promise<Ended> {
    const token = await this.opts.tokens.get();
    const url = await this.opts.gatewayUrl();
    if (this.stopped) return { reason: "stopped" };
    return new Promise<Ended>((resolve) => {
      const ws = new WebSocket(url, { handshakeTimeout: 15_000 });
      const conn: Conn = { ws, token, acked: true, online: false, greeted: false };
      this.conn = conn;
      let lastError: string | undefined;
      ws.on("message", (data: RawData, isBinary: boolean) => {
        if (this.conn !== conn || isBinary) return;
        const text = Array.isArray(data) ? Buffer.concat(data).toString() : Buffer.from(data as Buffer).toString();
        this.onFrame(conn, text);
      });
      ws.on("error", (err: Error) => {
        lastError = this.opts.scrub(err.message);
        this.opts.logger.debug({ err: lastError }, "QQ gateway socket error");
      });
      ws.on("close", (code: number, reason: Buffer) => {
        if (this.conn === conn) this.conn = undefined;
        resolve({ ...this.classify(conn, code, reason.toString(), lastError), online: conn.online });
      });
    });
  }

  private classify(conn: Conn, code: number, reason: string, lastError: string | undefined): Ended {
    if (conn.ended) return conn.ended;
    const fatal = fatalCloseReason(code);
    if (fatal) return { reason: fatal, fatal };
    const said = reason ? ` "${this.opts.scrub(reason)}"` : "";
    if (code === 4004) {
      this.opts.tokens.invalidate(conn.token);
      return { reason: `QQ gateway refused the access token (close 4004${said}); fetching a new one` };
    }
    if (closeEndsSession(code)) {
      this.endSession();
      return { reason: `QQ gateway ended the session (close ${code}${said}); identifying again`, identifyAgain: true };
    }
    if (code === 1006 && lastError) return { reason: `QQ gateway connection failed: ${lastError}` };
    return { reason: `QQ gateway connection closed (code ${code}${said})` };
  }

  private endSession(): void {
    this.sessionId = undefined;
    this.seq = null;
    this.epoch++;
    this.opts.onSession?.(undefined);
  }

  private sessionMoved(): void {
    if (this.sessionId !== undefined && this.seq !== null) this.opts.onSession?.({ sessionId: this.sessionId, seq: this.seq });
  }

  private send(conn: Conn, payload: unknown): void {
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(JSON.stringify(payload));
  }

  private hangUp(conn: Conn, ended: Ended): void {
    conn.ended ??= ended;
    try {
      conn.ws.close(4000, "reconnecting");
    } catch {
      conn.ws.terminate();
    }
    setTimeout(() => conn.ws.terminate(), 1_000).unref();
  }

  private onFrame(conn: Conn, text: string): void {
    let frame: Envelope;
    try {
      frame = Envelope.parse(JSON.parse(text));
    } catch {
      this.opts.logger.warn({ length: text.length }, "QQ gateway sent a frame that is not a gateway payload; ignored");
      return;
    }
    switch (frame.op) {
      case Op.Hello: {
        if (conn.greeted) return;
        conn.greeted = true;
        const hello = Hello.safeParse(frame.d);
        const interval = hello.success ? hello.data.heartbeat_interval : 41_250;
        void this.heartbeat(conn, interval);
        const token = `QQBot ${conn.token}`;
        if (this.sessionId) {
          this.send(conn, { op: Op.Resume, d: { token, session_id: this.sessionId, seq: this.seq ?? 0 } });
        } else {
          this.send(conn, {
            op: Op.Identify,
            d: { token, intents: this.opts.intents, shard: [0, 1], properties: { $os: process.platform, $browser: "switchboard", $device: "switchboard" } },
          });
        }
        return;
      }
      case Op.HeartbeatAck:
        conn.acked = true;
        if (conn.online) this.opts.onAlive?.();
        return;
      case Op.Heartbeat:
        this.send(conn, { op: Op.Heartbeat, d: this.seq });
        return;
      case Op.Reconnect:
        this.opts.logger.info("QQ gateway asked for a reconnect");
        this.hangUp(conn, { reason: "QQ asked the bot to reconnect", quick: true });
        return;
      case Op.InvalidSession:
        this.opts.logger.warn({ resumed: this.sessionId !== undefined }, "QQ gateway invalidated the session; identifying again");
        this.endSession();
        this.hangUp(conn, { reason: "QQ invalidated the session; identifying again", quick: true, identifyAgain: true });
        return;
      case Op.Dispatch:
        this.onDispatch(conn, frame);
        return;
      default:
        this.opts.logger.debug({ op: frame.op }, "QQ gateway opcode ignored");
    }
  }

  private onDispatch(conn: Conn, frame: Envelope): void {
    const s = typeof frame.s === "number" ? frame.s : undefined;
    const t = frame.t ?? "";
    if (t === "READY") {
      const ready = Ready.safeParse(frame.d);
      if (!ready.success) {
        this.opts.logger.warn("QQ gateway READY without a session id; reconnecting");
        this.hangUp(conn, { reason: "QQ gateway READY had no session id" });
        return;
      }
      this.epoch++;
      this.sessionId = ready.data.session_id;
      this.seq = s ?? 0;
      this.bot = ready.data.user;
      this.sessionMoved();
      this.goOnline(conn, "identified");
      return;
    }
    if (t === "RESUMED") {
      this.goOnline(conn, "resumed");
      // replayed dispatches came before RESUMED and are queued in order
      if (s !== undefined) this.advance(this.epoch, s);
      return;
    }
    const epoch = this.epoch;
    this.chain = this.chain
      .then(() => this.opts.onDispatch(t, frame.d))
      .catch((err: unknown) => {
        this.opts.logger.error({ err: this.opts.scrub(errorMessage(err)), event: t }, "QQ event handling failed");
      })
      .then(() => {
        if (s !== undefined) this.advance(epoch, s);
      });
  }

  private advance(epoch: number, s: number): void {
    const apply = () => {
      if (this.epoch === epoch && (this.seq === null || s > this.seq)) {
        this.seq = s;
        this.sessionMoved();
      }
    };
    this.chain = this.chain.then(apply);
  }

  private goOnline(conn: Conn, how: "identified" | "resumed"): void {
    conn.online = true;
    this.opts.logger.info({ how, bot: this.bot?.username }, `QQ gateway ${how}`);
    this.opts.setStatus("online");
    if (!this.everReady && this.ready) {
      this.everReady = true;
      this.ready.resolve();
      this.ready = undefined;
    }
  }

  private async heartbeat(conn: Conn, intervalMs: number): Promise<void> {
    while (this.conn === conn && !this.stopped) {
      await this.sleep(intervalMs);
      if (this.conn !== conn || this.stopped) return;
      if (!conn.acked) {
        this.opts.logger.warn({ intervalMs }, "QQ gateway did not acknowledge the last heartbeat; reconnecting");
        conn.ended ??= { reason: "QQ gateway stopped answering heartbeats" };
        conn.ws.terminate();
        return;
      }
      conn.acked = false;
      this.send(conn, { op: Op.Heartbeat, d: this.seq });
    }
  }
}
