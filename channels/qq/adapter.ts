// The QQ channel on QQ's official Bot API v2, spoken directly: an access
// token from the token endpoint (token.ts), the OpenAPI over fetch
// (rest.ts), the event gateway over a WebSocket (gateway.ts, with `ws`
// imported only when the channel starts), direct messages (C2C) and group
// @-messages in (normalize.ts), passive replies out (send.ts, replies.ts).
//
// Capabilities:
// - maxTextLength 2000: QQ documents no length limit for text messages but
//   refuses over-long ones (40054007 / 40054018), and every reply part uses
//   one of the 5 replies QQ allows per received message, so parts must be
//   neither tiny nor huge; 2000 characters (about a phone screen of Chinese
//   text) stays clear of the refusals and still fits ~10 000 characters into
//   the 5 replies;
// - format "plain": QQ shows msg_type 0 text as typed (native Markdown needs
//   a permission most bots do not have), so Markdown replies are flattened
//   (format.ts);
// - typing false (no typing indicator for C2C/group bots), edit false,
//   voiceIn true (voice messages arrive as attachments).
import { join } from "node:path";
import { ChannelError, channelErrorCode, type ChannelAdapter, type ChannelCapabilities, type ChannelContext, type InboundMessage, type OutboundChunk } from "../../src/core/channel.ts";
import { systemClock, type Clock } from "../../src/core/clock.ts";
import type { Logger } from "../../src/core/logger.ts";
import { resolveQqConfig, type QqConfig, type ResolvedQqConfig } from "./config.ts";
import { MAX_ATTACHMENT_BYTES, downloadAttachment } from "./download.ts";
import { scrub, toChannelError } from "./errors.ts";
import { QqGateway } from "./gateway.ts";
import { normalizeC2c, normalizeGroup, type NormalizeContext } from "./normalize.ts";
import { ReplyBook, type ChatKind } from "./replies.ts";
import { QqRest } from "./rest.ts";
import { C2cMessage, GatewayUrl, GroupMessage, INTENT_GROUP_AND_C2C } from "./schema.ts";
import { QqSender } from "./send.ts";
import { SessionKeeper } from "./session.ts";
import { AccessTokenSource, type FetchLike } from "./token.ts";
import { errorMessage } from "../../src/core/errors.ts";

export type { QqConfig } from "./config.ts";

export interface QqAdapterOptions {
  logger: Logger;
  /** SWITCHBOARD_HOME; reply state is kept in <stateDir>/qq/ so replies survive restarts. Without it, in memory only */
  stateDir?: string;
  /** token lifetimes, reply windows and reconnect waits; default the system clock */
  clock?: Clock;
  /** first reconnect delay, doubling up to maxBackoffMs (with ±20 % jitter); defaults 1 s and 60 s */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  random?: () => number;
  /** start() fails when the gateway is not ready by then; default 30 s */
  readyTimeoutMs?: number;
  /** attachment download cap; default 20 MB */
  maxMediaBytes?: number;
  /** per OpenAPI request; default 15 s */
  requestTimeoutMs?: number;
}

export interface QqAdapter extends ChannelAdapter {
  readonly appId: string;
  /** the REST root in use (production, sandbox or api_base) */
  readonly apiBase: string;
  /** the bot's gateway session, once READY */
  readonly sessionId: string | undefined;
}

export const QQ_CAPABILITIES: ChannelCapabilities = { maxTextLength: 2000, format: "plain", typing: false, edit: false, voiceIn: true };

/** message ids already handed to the gateway, to drop QQ's repeats (resume replays, duplicate pushes) */
const SEEN_LIMIT = 1_000;

class QqChannel implements QqAdapter {
  readonly id = "qq";
  readonly capabilities = QQ_CAPABILITIES;
  private readonly cfg: ResolvedQqConfig;
  private readonly opts: QqAdapterOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly tokens: AccessTokenSource;
  private readonly rest: QqRest;
  private readonly book: ReplyBook;
  private readonly sender: QqSender;
  private fetchImpl: FetchLike = (url, init) => fetch(url, init);
  /** one proxy agent per adapter, reused across restarts */
  private proxied = false;
  private gateway: QqGateway | undefined;
  private loaded: Promise<void> | undefined;
  private readonly seen = new Set<string>();
  /** bumped by every start() and stop(), so a start() overtaken by stop() gives up */
  private generation = 0;

  constructor(config: QqConfig, opts: QqAdapterOptions) {
    this.cfg = resolveQqConfig(config);
    this.opts = opts;
    this.log = opts.logger;
    this.clock = opts.clock ?? systemClock;
    const viaProxy: FetchLike = (url, init) => this.fetchImpl(url, init);
    this.tokens = new AccessTokenSource({
      appId: this.cfg.appId,
      appSecret: this.cfg.appSecret,
      tokenUrl: this.cfg.tokenUrl,
      clock: this.clock,
      logger: this.log,
      fetch: viaProxy,
      ...(opts.requestTimeoutMs !== undefined ? { timeoutMs: opts.requestTimeoutMs } : {}),
    });
    this.rest = new QqRest({
      apiBase: this.cfg.apiBase,
      appId: this.cfg.appId,
      tokens: this.tokens,
      fetch: viaProxy,
      logger: this.log,
      ...(opts.requestTimeoutMs !== undefined ? { timeoutMs: opts.requestTimeoutMs } : {}),
    });
    const safeId = this.cfg.appId.replace(/[^\w-]/g, "_");
    this.book = new ReplyBook({
      ...(opts.stateDir ? { file: join(opts.stateDir, "qq", `replies-${safeId}.json`) } : {}),
      clock: this.clock,
      logger: this.log,
    });
    this.sender = new QqSender({ rest: this.rest, book: this.book, logger: this.log });
  }

  get appId(): string {
    return this.cfg.appId;
  }
  get apiBase(): string {
    return this.cfg.apiBase;
  }
  get sessionId(): string | undefined {
    return this.gateway?.sessionId;
  }

  async start(ctx: ChannelContext): Promise<void> {
    const generation = ++this.generation;
    await this.halt();
    if (generation !== this.generation || ctx.signal.aborted) return;
    ctx.setStatus("connecting");
    await this.useProxy();
    this.loaded ??= this.book.load();
    await this.loaded;
    if (generation !== this.generation || ctx.signal.aborted) return;
    // the session and seq are kept in the cursor store, so a restart resumes and QQ replays what it missed
    const keeper = new SessionKeeper(ctx.cursors, this.clock, this.log);
    const saved = await keeper.load();
    if (generation !== this.generation || ctx.signal.aborted) return;
    const gateway: QqGateway = new QqGateway({
      intents: INTENT_GROUP_AND_C2C,
      tokens: this.tokens,
      gatewayUrl: async () => (await this.rest.call("GET", "/gateway/bot", GatewayUrl, "read the gateway address")).url,
      onDispatch: (t, d) => this.onDispatch(t, d, ctx),
      setStatus: (state, detail) => {
        if (this.gateway === gateway && !ctx.signal.aborted) ctx.setStatus(state, detail);
      },
      fail: (err) => {
        if (this.gateway === gateway && !ctx.signal.aborted) ctx.fail?.(err);
      },
      logger: this.log,
      clock: this.clock,
      initialBackoffMs: this.opts.initialBackoffMs ?? 1_000,
      maxBackoffMs: this.opts.maxBackoffMs ?? 60_000,
      random: this.opts.random ?? Math.random,
      readyTimeoutMs: this.opts.readyTimeoutMs ?? 30_000,
      scrub: (text) => scrub(text, this.tokens.secrets()),
      ...(saved ? { resume: saved } : {}),
      onSession: (session) => {
        if (this.gateway === gateway) keeper.save(session);
      },
      onAlive: () => {
        if (this.gateway === gateway) keeper.touch();
      },
    });
    this.gateway = gateway;
    // a late abort of an earlier run's signal must not stop a newer run
    ctx.signal.addEventListener("abort", () => this.gateway === gateway && void this.stop(), { once: true });
    try {
      await gateway.start();
    } catch (err) {
      if (this.gateway !== gateway || ctx.signal.aborted) return;
      const reason = scrub(errorMessage(err), this.tokens.secrets());
      this.log.error({ reason }, "QQ channel could not connect");
      ctx.setStatus("offline", reason);
      await this.halt();
      throw new ChannelError(channelErrorCode(toChannelError(err, "connect")), reason);
    }
    if (this.gateway !== gateway || ctx.signal.aborted) return;
    this.log.info({ appId: this.cfg.appId, bot: gateway.bot?.username, sandbox: this.cfg.sandbox }, "QQ channel started");
  }

  async stop(): Promise<void> {
    this.generation++;
    await this.halt();
  }

  private async halt(): Promise<void> {
    const gateway = this.gateway;
    this.gateway = undefined;
    if (gateway) await gateway.stop();
  }

  async send(chatId: string, chunk: OutboundChunk): Promise<{ messageId: string }> {
    // a reply recovered after a restart may go out before start(): the messages
    // it answers are in the book on disk, so read it first rather than refuse
    this.loaded ??= this.book.load();
    await this.loaded;
    return this.sender.send(chatId, chunk);
  }

  /** an access token and GET /gateway/bot: the app id and secret work, no connection needed */
  async checkCredentials(): Promise<void> {
    try {
      await this.rest.call("GET", "/gateway/bot", GatewayUrl, "read the gateway address");
    } catch (err) {
      throw toChannelError(err, "read the gateway address");
    }
  }

  /** GET /gateway/bot (proves the token and REST work) and a live gateway loop */
  async probe(): Promise<void> {
    const gateway = this.gateway;
    if (!gateway) throw new Error("QQ channel is not running (start it first)");
    if (!gateway.running) throw new Error(`QQ gateway is down: ${gateway.endedFor ?? "stopped"}`);
    try {
      await this.rest.call("GET", "/gateway/bot", GatewayUrl, "read the gateway address");
    } catch (err) {
      throw toChannelError(err, "read the gateway address");
    }
  }

  private async useProxy(): Promise<void> {
    const proxy = this.cfg.proxy;
    if (!proxy || this.proxied) return;
    this.proxied = true;
    const undici = await import("undici");
    const agent = new undici.ProxyAgent(proxy);
    this.fetchImpl = (url, init) => undici.fetch(url, { ...(init as object), dispatcher: agent }) as unknown as Promise<Response>;
    this.log.info("QQ REST calls and attachment downloads go through channels.qq.proxy; the gateway WebSocket connects directly");
  }

  private normalizeContext(): NormalizeContext {
    return {
      appId: this.cfg.appId,
      download: (url, name, size) =>
        downloadAttachment(url, name, {
          maxBytes: this.opts.maxMediaBytes ?? MAX_ATTACHMENT_BYTES,
          ...(size !== undefined ? { reportedSize: size } : {}),
          fetch: this.fetchImpl,
        }),
    };
  }

  private async onDispatch(t: string, d: unknown, ctx: ChannelContext): Promise<void> {
    let msg: InboundMessage | null;
    let kind: ChatKind;
    if (t === "C2C_MESSAGE_CREATE") {
      const parsed = C2cMessage.safeParse(d);
      if (!parsed.success) return this.skip(t, parsed.error.issues[0]?.path.join("."));
      msg = normalizeC2c(parsed.data, this.normalizeContext());
      kind = "user";
    } else if (t === "GROUP_AT_MESSAGE_CREATE") {
      const parsed = GroupMessage.safeParse(d);
      if (!parsed.success) return this.skip(t, parsed.error.issues[0]?.path.join("."));
      msg = normalizeGroup(parsed.data, this.normalizeContext());
      kind = "group";
    } else {
      this.log.debug({ event: t }, "QQ event ignored");
      return;
    }
    if (!msg || this.seen.has(msg.messageId)) return;
    // remembered before the gateway stores it, so a reply finds it even after a crash
    await this.book.remember({ kind, chatId: msg.chatId, msgId: msg.messageId });
    if (ctx.signal.aborted) return;
    await ctx.emit(msg);
    this.seen.add(msg.messageId);
    if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.values().next().value!);
  }

  private skip(event: string, field: string | undefined): void {
    this.log.warn({ event, field }, "skipping a QQ event of unexpected shape");
  }
}

/** Builds the adapter; throws when the config is unusable (the message names the key and the fix). */
export function createQqAdapter(config: QqConfig | Record<string, unknown>, opts: QqAdapterOptions): QqAdapter {
  return new QqChannel(config as QqConfig, opts);
}
