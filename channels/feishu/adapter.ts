// The Feishu / Lark channel: the open platform's REST API over fetch
// (token.ts, rest.ts), events over the SDK's long connection (longconn.ts,
// the default: no public URL needed) or over a webhook the gateway's HTTP
// server routes here (webhook.ts), normalized in normalize.ts, replies out
// through send.ts.
//
// Capabilities:
// - maxTextLength 4000: Feishu takes ~150 KB of text and ~30 KB of rich
//   text per message; 4000 characters stay far below both even for CJK text
//   encoded twice as JSON (~12 KB), and are about what a chat bubble holds
//   before people stop reading;
// - format "markdown": markdown chunks go out as rich text (post with one md
//   element), plain chunks as text (format.ts);
// - typing false (bots have no typing indicator), edit true (edit.ts), voiceIn true
//   (voice messages arrive as Opus audio and are downloaded on demand).
import { ChannelError, channelErrorCode, type ChannelAdapter, type ChannelCapabilities, type ChannelContext, type OutboundChunk } from "../../src/core/channel.ts";
import { systemClock, type Clock } from "../../src/core/clock.ts";
import type { Logger } from "../../src/core/logger.ts";
import { resolveFeishuConfig, type FeishuConfig, type ResolvedFeishuConfig } from "./config.ts";
import { EventDeduper } from "./dedupe.ts";
import { scrub, toChannelError } from "./errors.ts";
import { LongConnection } from "./longconn.ts";
import { normalizeMessage, type NormalizeContext } from "./normalize.ts";
import { fetchParent, type ParentContext } from "./parent.ts";
import { FeishuRest } from "./rest.ts";
import { BotInfo, type BotIdentity } from "./bot.ts";
import { EventEnvelope, issueText, MessageReceived, type EventEnvelopeT } from "./schema.ts";
import { editFeishuMessage, FEISHU_LIVE_EDITS, recallFeishuMessage } from "./edit.ts";
import { FeishuSender } from "./send.ts";
import { TenantTokenSource, type FetchLike } from "./token.ts";
import { handleFeishuWebhook, MalformedEvent, WEBHOOK_PATH, type WebhookHeaders, type WebhookResponse } from "./webhook.ts";
import { errorMessage } from "../../src/core/errors.ts";

export type { FeishuConfig } from "./config.ts";
export type { BotIdentity } from "./bot.ts";
export type { WebhookHeaders, WebhookResponse } from "./webhook.ts";
export { WEBHOOK_PATH } from "./webhook.ts";

export interface FeishuAdapterOptions {
  logger: Logger;
  /** SWITCHBOARD_HOME; unused for now (Feishu keeps no session state on our side) */
  stateDir?: string;
  /** token lifetimes and backoff sleeps; default the system clock */
  clock?: Clock;
  /** first restart delay after the long connection gave up, doubling to maxBackoffMs (±20 % jitter); defaults 1 s and 60 s */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  random?: () => number;
  /** start() waits this long for the first long connection; default 15 s */
  readyTimeoutMs?: number;
  /** replace a socket that answers no ping within this many seconds; default 30 */
  pingTimeoutSeconds?: number;
  /** largest image or audio fetch() downloads; default 20 MB */
  maxMediaBytes?: number;
  /** per REST request; default 15 s */
  requestTimeoutMs?: number;
  /** HTTP for the REST API (tests); default global fetch */
  fetch?: FetchLike;
}

export interface FeishuAdapter extends ChannelAdapter {
  readonly mode: "websocket" | "webhook";
  readonly domain: "feishu" | "lark";
  /** the open-platform root in use */
  readonly apiBase: string;
  /** the bot's open_id and name, once start() read them */
  readonly bot: BotIdentity | undefined;
  /** for the gateway's HTTP route (webhook mode): verifies, decrypts, stores, acknowledges */
  handleWebhook(headers: WebhookHeaders, rawBody: Buffer | string): Promise<WebhookResponse>;
}

export const FEISHU_CAPABILITIES: ChannelCapabilities = { maxTextLength: 4000, format: "markdown", typing: false, edit: true, voiceIn: true };

const MAX_MEDIA_BYTES = 20 * 1024 * 1024;

class FeishuChannel implements FeishuAdapter {
  readonly id = "feishu";
  readonly capabilities = FEISHU_CAPABILITIES;
  readonly liveEdits = FEISHU_LIVE_EDITS;
  private readonly cfg: ResolvedFeishuConfig;
  private readonly opts: FeishuAdapterOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly tokens: TenantTokenSource;
  private readonly rest: FeishuRest;
  private readonly sender: FeishuSender;
  private readonly deduper = new EventDeduper();
  private identity: BotIdentity | undefined;
  private ctx: ChannelContext | undefined;
  private conn: LongConnection | undefined;
  /** bumped by every start() and stop(), so a start() overtaken by stop() gives up */
  private generation = 0;

  constructor(config: FeishuConfig | Record<string, unknown>, opts: FeishuAdapterOptions) {
    this.cfg = resolveFeishuConfig(config);
    this.opts = opts;
    this.log = opts.logger;
    this.clock = opts.clock ?? systemClock;
    const fetchImpl: FetchLike = opts.fetch ?? ((url, init) => fetch(url, init));
    const timeout = opts.requestTimeoutMs !== undefined ? { timeoutMs: opts.requestTimeoutMs } : {};
    this.tokens = new TenantTokenSource({ appId: this.cfg.appId, appSecret: this.cfg.appSecret, apiBase: this.cfg.apiBase, clock: this.clock, logger: this.log, fetch: fetchImpl, ...timeout });
    this.rest = new FeishuRest({ apiBase: this.cfg.apiBase, tokens: this.tokens, fetch: fetchImpl, logger: this.log, ...timeout });
    this.sender = new FeishuSender(this.rest, this.log);
  }

  get mode(): "websocket" | "webhook" {
    return this.cfg.mode;
  }
  get domain(): "feishu" | "lark" {
    return this.cfg.domain;
  }
  get apiBase(): string {
    return this.cfg.apiBase;
  }
  get bot(): BotIdentity | undefined {
    return this.identity;
  }

  async start(ctx: ChannelContext): Promise<void> {
    const generation = ++this.generation;
    await this.halt();
    if (generation !== this.generation || ctx.signal.aborted) return;
    ctx.setStatus("connecting");
    try {
      this.identity = await this.readBot();
    } catch (err) {
      const mapped = toChannelError(err, "read the bot's identity");
      const reason = this.scrub(mapped.message);
      if (generation === this.generation && !ctx.signal.aborted) ctx.setStatus("offline", reason);
      throw new ChannelError(channelErrorCode(mapped), reason);
    }
    if (generation !== this.generation || ctx.signal.aborted) return;
    this.ctx = ctx;
    // a late abort of an earlier run's signal must not stop a newer run
    ctx.signal.addEventListener("abort", () => this.generation === generation && void this.stop(), { once: true });
    const name = this.identity.name ?? this.identity.openId;
    if (this.cfg.mode === "webhook") {
      ctx.setStatus("online", `webhook mode (${WEBHOOK_PATH}) as ${name}`);
      this.log.info({ bot: name, mode: "webhook", domain: this.cfg.domain }, "feishu channel started");
      return;
    }
    const conn = new LongConnection({
      appId: this.cfg.appId,
      appSecret: this.cfg.appSecret,
      apiBase: this.cfg.apiBase,
      ...(this.cfg.encryptKey ? { encryptKey: this.cfg.encryptKey } : {}),
      ...(this.cfg.verificationToken ? { verificationToken: this.cfg.verificationToken } : {}),
      onEvent: (envelope) => this.fromLongConnection(envelope),
      setStatus: (state, detail) => {
        if (this.conn === conn && !ctx.signal.aborted) ctx.setStatus(state, detail);
      },
      logger: this.log,
      clock: this.clock,
      initialBackoffMs: this.opts.initialBackoffMs ?? 1_000,
      maxBackoffMs: this.opts.maxBackoffMs ?? 60_000,
      random: this.opts.random ?? Math.random,
      readyTimeoutMs: this.opts.readyTimeoutMs ?? 15_000,
      pingTimeoutSeconds: this.opts.pingTimeoutSeconds ?? 30,
      scrub: (text) => this.scrub(text),
      label: () => name,
    });
    this.conn = conn;
    try {
      await conn.start();
    } catch (err) {
      if (this.conn !== conn || ctx.signal.aborted) return;
      const reason = this.scrub(errorMessage(err));
      this.log.error({ reason }, "Feishu long connection could not be opened");
      ctx.setStatus("offline", reason);
      await this.halt();
      throw new ChannelError(channelErrorCode(toChannelError(err, "open the long connection")), reason);
    }
    if (this.conn !== conn || ctx.signal.aborted) return;
    this.log.info({ bot: name, mode: "websocket", domain: this.cfg.domain }, "feishu channel started");
  }

  async stop(): Promise<void> {
    this.generation++;
    await this.halt();
  }

  private async halt(): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    this.ctx = undefined;
    await conn?.stop();
  }

  async send(chatId: string, chunk: OutboundChunk): Promise<{ messageId: string }> {
    return this.sender.send(chatId, chunk);
  }

  edit(_chatId: string, messageId: string, chunk: OutboundChunk): Promise<void> {
    return editFeishuMessage(this.rest, this.log, messageId, chunk);
  }

  deleteMessage(_chatId: string, messageId: string): Promise<void> {
    return recallFeishuMessage(this.rest, messageId);
  }

  /** GET bot/v3/info (proves the token and the API) and, in websocket mode, a connection that has not given up */
  /** a tenant token and the bot's identity: the app id and secret work, no connection needed */
  async checkCredentials(): Promise<void> {
    try {
      await this.readBot();
    } catch (err) {
      throw toChannelError(err, "read the bot's identity");
    }
  }

  async probe(): Promise<void> {
    if (this.cfg.mode === "websocket") {
      const conn = this.conn;
      if (!conn) throw new Error("the Feishu channel is not running (start it first)");
      if (conn.lastError) throw new Error(conn.lastError);
    }
    try {
      await this.readBot();
    } catch (err) {
      throw toChannelError(err, "read the bot's identity");
    }
  }

  handleWebhook(headers: WebhookHeaders, rawBody: Buffer | string): Promise<WebhookResponse> {
    return handleFeishuWebhook(
      {
        encryptKey: this.cfg.encryptKey,
        verificationToken: this.cfg.verificationToken,
        disabled: () =>
          this.cfg.mode === "webhook"
            ? undefined
            : { status: 404, reason: 'the feishu channel uses the long connection; set channels.feishu.mode to "webhook" to use this route' },
        unavailable: () => (this.ctx && this.identity ? undefined : { status: 503, reason: "the feishu channel is not running yet; deliver again later" }),
        process: (event) => this.process(event),
        logger: this.log,
        now: () => this.clock.now(),
      },
      headers,
      rawBody,
    );
  }

  private async readBot(): Promise<BotIdentity> {
    const info = await this.rest.call("GET", "/open-apis/bot/v3/info", BotInfo, "read the bot's identity");
    return { openId: info.bot.open_id, ...(info.bot.app_name ? { name: info.bot.app_name } : {}) };
  }

  /** long-connection events: a malformed one is logged and acknowledged (a redelivery would not mend it) */
  private async fromLongConnection(raw: Record<string, unknown>): Promise<void> {
    const parsed = EventEnvelope.safeParse(raw);
    if (!parsed.success) {
      this.log.warn({ reason: issueText(parsed.error, "a Feishu event") }, "skipping a Feishu event of unexpected shape");
      return;
    }
    try {
      await this.process(parsed.data);
    } catch (err) {
      if (!(err instanceof MalformedEvent)) throw err;
      this.log.warn({ reason: err.message }, "skipping a Feishu event of unexpected shape");
    }
  }

  /** one event, once: normalized and handed to the gateway; throws when it could not be stored */
  private async process(envelope: EventEnvelopeT): Promise<void> {
    const { event_id: eventId, event_type: type } = envelope.header;
    if (type !== "im.message.receive_v1") {
      this.log.debug({ eventType: type }, "Feishu event ignored");
      return;
    }
    const parsed = MessageReceived.safeParse(envelope.event);
    if (!parsed.success) throw new MalformedEvent(issueText(parsed.error, "an im.message.receive_v1 event"));
    const ran = await this.deduper.once(eventId, async () => {
      const ctx = this.ctx;
      if (!ctx || !this.identity) throw new Error("the feishu channel is stopped; the event stays unacknowledged");
      const out = normalizeMessage(parsed.data, this.normalizeContext());
      if ("skip" in out) {
        this.log.debug({ eventId, reason: out.skip }, "Feishu message skipped");
        return;
      }
      const parentId = parsed.data.message.parent_id;
      const replyTo = parentId ? await fetchParent(parentId, this.parentContext()) : undefined;
      await ctx.emit(replyTo ? { ...out.msg, replyTo } : out.msg);
    });
    if (!ran) this.log.debug({ eventId }, "Feishu event delivered again; already handled");
  }

  private parentContext(): ParentContext {
    return { rest: this.rest, appId: this.cfg.appId, botOpenId: this.identity?.openId, sentByBot: (id) => this.sender.sentByBot(id), log: this.log };
  }

  private normalizeContext(): NormalizeContext {
    const max = this.opts.maxMediaBytes ?? MAX_MEDIA_BYTES;
    return {
      appId: this.cfg.appId,
      botOpenId: this.identity?.openId,
      download: (messageId, fileKey, type) =>
        this.rest.download(
          `/open-apis/im/v1/messages/${encodeURIComponent(messageId)}/resources/${encodeURIComponent(fileKey)}?type=${type}`,
          `download the ${type} of message ${messageId}`,
          max,
        ),
      sentByBot: (id) => this.sender.sentByBot(id),
    };
  }

  private scrub(text: string): string {
    return scrub(text, [...this.tokens.secrets(), this.cfg.encryptKey, this.cfg.verificationToken]);
  }
}

/** Builds the adapter; throws when the config is unusable (the message names the key and the fix). */
export function createFeishuAdapter(config: FeishuConfig | Record<string, unknown>, opts: FeishuAdapterOptions): FeishuAdapter {
  return new FeishuChannel(config, opts);
}
