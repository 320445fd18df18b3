// The Telegram channel: grammy's Bot API client against api.telegram.org or a
// self-hosted Bot API server, long polling or a webhook for updates, HTML
// replies with a plain-text fallback.
import type { ChannelAdapter, ChannelCapabilities, ChannelContext, ChannelError, OutboundChunk } from "../../src/core/channel.ts";
import { systemClock, type Clock } from "../../src/core/clock.ts";
import type { Logger } from "../../src/core/logger.ts";
import { createTelegramClient, toChannelError, type TelegramClient } from "./client.ts";
import { setCommandMenu } from "./commands.ts";
import { resolveTelegramConfig, type ResolvedTelegramConfig, type TelegramConfig } from "./config.ts";
import { makeFileFetcher } from "./files.ts";
import { normalizeUpdate, type BotIdentity, type FileFetcherFactory } from "./normalize.ts";
import { LongPoller } from "./poller.ts";
import { parseUpdate, type TgUpdate } from "./schema.ts";
import { deleteTelegramMessage, editTelegramMessage, TELEGRAM_LIVE_EDITS } from "./edit.ts";
import { TelegramSender } from "./send.ts";
import { handleTelegramWebhook, type WebhookHeaders, type WebhookResponse } from "./webhook.ts";

export type { TelegramConfig } from "./config.ts";
export type { WebhookResponse } from "./webhook.ts";

export interface TelegramAdapterOptions {
  logger: Logger;
  /** getUpdates long-poll timeout; default 30 s */
  pollTimeoutSeconds?: number;
  /** sleeps between failed polls; default the system clock */
  clock?: Clock;
  /** first retry delay after a failed poll, doubling up to maxBackoffMs; defaults 1 s and 60 s */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** largest file fetch() downloads; default 20 MB (the Bot API's limit) */
  maxDownloadBytes?: number;
}

export interface TelegramAdapter extends ChannelAdapter {
  readonly mode: "polling" | "webhook";
  /** the bot's id and username, once start() has called getMe */
  readonly bot: BotIdentity | undefined;
  /** for the gateway's HTTP route (webhook mode): checks the secret header, validates, stores, acknowledges */
  handleWebhook(headers: WebhookHeaders, rawBody: Buffer | string): Promise<WebhookResponse>;
}

export const TELEGRAM_CAPABILITIES: ChannelCapabilities = { maxTextLength: 4096, format: "html", typing: true, edit: true, voiceIn: true };

class TelegramChannel implements TelegramAdapter {
  readonly id = "telegram";
  readonly capabilities = TELEGRAM_CAPABILITIES;
  readonly liveEdits = TELEGRAM_LIVE_EDITS;
  readonly mode: "polling" | "webhook";
  private readonly cfg: ResolvedTelegramConfig;
  private readonly opts: TelegramAdapterOptions;
  private readonly client: TelegramClient;
  private readonly sender: TelegramSender;
  private readonly files: FileFetcherFactory;
  private identity: BotIdentity | undefined;
  private ctx: ChannelContext | undefined;
  private poller: LongPoller | undefined;
  /** survives restarts so a restarted poller does not re-read what was stored */
  private offset: number | undefined;

  constructor(config: TelegramConfig | Record<string, unknown>, opts: TelegramAdapterOptions) {
    this.cfg = resolveTelegramConfig(config);
    this.opts = opts;
    this.mode = this.cfg.mode;
    const pollTimeout = opts.pollTimeoutSeconds ?? 30;
    this.client = createTelegramClient(this.cfg, { timeoutSeconds: Math.max(60, pollTimeout + 20) });
    this.sender = new TelegramSender(this.client, opts.logger);
    const fileOpts = {
      client: this.client,
      apiRoot: this.cfg.apiRoot,
      token: this.cfg.token,
      ...(this.cfg.localDir ? { localDir: this.cfg.localDir } : {}),
      ...(opts.maxDownloadBytes !== undefined ? { maxBytes: opts.maxDownloadBytes } : {}),
    };
    this.files = (fileId, size) => makeFileFetcher(fileOpts, fileId, size);
  }

  get bot(): BotIdentity | undefined {
    return this.identity;
  }

  async start(ctx: ChannelContext): Promise<void> {
    await this.stop();
    this.ctx = ctx;
    ctx.setStatus("connecting");
    const api = this.client.api;
    const me = await this.call("getMe", () => api.getMe());
    this.identity = { id: me.id, username: me.username };
    if (ctx.signal.aborted) return;
    if (this.mode === "webhook") {
      await this.call("setWebhook", () =>
        api.setWebhook(this.cfg.webhookUrl!, { secret_token: this.cfg.webhookSecret, allowed_updates: this.cfg.allowedUpdates as never }),
      );
      ctx.setStatus("online", `webhook mode as @${me.username}`);
    } else {
      // getUpdates answers 409 while a webhook is set
      await this.call("deleteWebhook", () => api.deleteWebhook());
      const poller = new LongPoller({
        client: this.client,
        timeoutSeconds: this.opts.pollTimeoutSeconds ?? 30,
        allowedUpdates: this.cfg.allowedUpdates,
        handle: (raw) => this.fromPoll(raw),
        setStatus: (state, detail) => {
          if (this.poller === poller) ctx.setStatus(state, detail);
        },
        ...(ctx.fail ? { fail: (err: ChannelError) => this.poller === poller && ctx.fail?.(err) } : {}),
        logger: this.opts.logger,
        clock: this.opts.clock ?? systemClock,
        initialBackoffMs: this.opts.initialBackoffMs ?? 1000,
        maxBackoffMs: this.opts.maxBackoffMs ?? 60_000,
        ...(this.offset !== undefined ? { offset: this.offset } : {}),
        ...(ctx.readAhead ? { readAhead: ctx.readAhead } : {}),
      });
      this.poller = poller;
      ctx.setStatus("online", `long polling as @${me.username}`);
      poller.start();
    }
    this.opts.logger.info({ bot: me.username, mode: this.mode }, "telegram channel started");
    void setCommandMenu(this.client, this.opts.logger); // not awaited: the menu never holds up the channel
    // a late abort of an earlier run's signal must not stop a newer run
    ctx.signal.addEventListener("abort", () => this.ctx === ctx && void this.stop(), { once: true });
    if (ctx.signal.aborted) await this.stop();
  }

  async stop(): Promise<void> {
    const poller = this.poller;
    this.poller = undefined;
    this.ctx = undefined;
    if (poller) {
      await poller.stop();
      this.offset = poller.offset;
    }
  }

  send(chatId: string, chunk: OutboundChunk): Promise<{ messageId: string }> {
    return this.sender.send(chatId, chunk);
  }

  edit(chatId: string, messageId: string, chunk: OutboundChunk): Promise<void> {
    return editTelegramMessage(this.client, this.opts.logger, chatId, messageId, chunk);
  }

  deleteMessage(chatId: string, messageId: string): Promise<void> {
    return deleteTelegramMessage(this.client, chatId, messageId);
  }

  typing(chatId: string, threadId?: string): Promise<void> {
    return this.sender.typing(chatId, threadId);
  }

  async probe(): Promise<void> {
    await this.call("getMe", () => this.client.api.getMe());
  }

  handleWebhook(headers: WebhookHeaders, rawBody: Buffer | string): Promise<WebhookResponse> {
    return handleTelegramWebhook(
      {
        secret: this.cfg.webhookSecret,
        unavailable: () => {
          if (this.mode !== "webhook") return { status: 404, reason: 'the telegram channel runs in polling mode; set channels.telegram.mode to "webhook" to use this route' };
          if (!this.ctx || !this.identity) return { status: 503, reason: "the telegram channel is not running yet; deliver again later" };
          return undefined;
        },
        process: (update) => this.process(update),
        logger: this.opts.logger,
      },
      headers,
      rawBody,
    );
  }

  private async fromPoll(raw: unknown): Promise<void> {
    const parsed = parseUpdate(raw);
    if (!parsed.ok) {
      this.opts.logger.warn({ reason: parsed.reason }, "skipping a Telegram update of unexpected shape");
      return;
    }
    await this.process(parsed.update);
  }

  private async process(update: TgUpdate): Promise<void> {
    const ctx = this.ctx;
    const bot = this.identity;
    if (!ctx || !bot) throw new Error("the telegram channel is stopped; the update stays unconfirmed");
    const msg = normalizeUpdate(update, bot, this.files);
    if (msg) await ctx.emit(msg);
  }

  private async call<T>(method: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toChannelError(err, method, this.client.redact);
    }
  }
}

/** Builds the adapter; throws when the config is unusable (the message names the key and the fix). */
export function createTelegramAdapter(config: TelegramConfig | Record<string, unknown>, opts: TelegramAdapterOptions): TelegramAdapter {
  return new TelegramChannel(config, opts);
}
