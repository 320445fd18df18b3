// The Discord channel: discord.js for the gateway (connect, heartbeat,
// resume / re-identify, caches) and its REST client for sending. discord.js
// is imported inside start(), so loading this module costs nothing.
//
// Retries belong to the gateway's outbox, so discord.js's own are turned off
// where it allows: REST `retries: 0` (no silent re-POST of a message after a
// 5xx or timeout, which could post it twice) and `rejectOnRateLimit` (a 429,
// or a bucket discord.js knows is exhausted, throws at once and becomes
// ChannelError("rate_limited") instead of sleeping inside send()). Reconnecting the
// gateway stays with discord.js: it resumes after drops and RECONNECT, and
// re-identifies after INVALID_SESSION, waiting ~5 s between IDENTIFYs as
// Discord requires. Close codes it cannot recover from (4004 bad token, 4014
// disallowed intents, ...) set the status "offline" with the reason.
//
// `proxy` covers REST and attachment downloads. The gateway WebSocket always
// connects directly: @discordjs/ws 1.x has no agent option.
import type { Client, Message } from "discord.js";
import {
  ChannelError,
  type ChannelAdapter,
  type ChannelCapabilities,
  type ChannelContext,
  type InboundMessage,
  type OutboundChunk,
} from "../../src/core/channel.ts";
import type { Logger } from "../../src/core/logger.ts";
import { resolveDiscordConfig, type DiscordConfig, type ResolvedDiscordConfig } from "./config.ts";
import { fileNotSentNote, withNote } from "../../src/media/outbound-files.ts";
import { describeFatalClose, describeLoginError, isTooLarge, loginErrorCode, mapRestError, scrub } from "./errors.ts";
import { MAX_ATTACHMENT_BYTES, downloadAttachment, type FetchLike } from "./download.ts";
import { DiscordCatchup } from "./catchup.ts";
import { SlashCommands, type InteractionRest } from "./interactions.ts";
import { normalizeMessage } from "./normalize.ts";
import { deleteDiscordMessage, DISCORD_LIVE_EDITS, editDiscordMessage, type EditRest } from "./edit.ts";
import { buildMessageBody, type OutgoingFile } from "./outgoing.ts";
import { buildStoppableStrategy } from "./sharding.ts";
import { clientCaches } from "./caches.ts";
import { leanSender, withMultipartBodies, type MakeRequest } from "./rest-sender.ts";
import { errorMessage } from "../../src/core/errors.ts";

export type { DiscordConfig } from "./config.ts";

export interface DiscordAdapterOptions {
  logger: Logger;
  /** attachment download cap; default 25 MB */
  maxMediaBytes?: number;
  /** start() rejects when the gateway is not ready by then; default 60 s */
  readyTimeoutMs?: number;
  /** stop() stops waiting for the close handshake after this; default 3 s */
  stopTimeoutMs?: number;
}

export interface DiscordAdapter extends ChannelAdapter {
  /** the bot's user id once connected */
  readonly botUserId: string | undefined;
}

const CAPABILITIES: ChannelCapabilities = {
  maxTextLength: 2000,
  format: "markdown",
  typing: true,
  edit: true,
  voiceIn: true,
};

interface RestLike extends EditRest {
  get(route: `/${string}`): Promise<unknown>;
  post(route: `/${string}`, options?: { body?: unknown; files?: OutgoingFile[] }): Promise<unknown>;
}

export function createDiscordAdapter(config: DiscordConfig | Record<string, unknown>, opts: DiscordAdapterOptions): DiscordAdapter {
  return new DiscordChannel(resolveDiscordConfig(config), opts);
}

class DiscordChannel implements DiscordAdapter {
  readonly id = "discord";
  readonly capabilities = CAPABILITIES;
  readonly liveEdits = DISCORD_LIVE_EDITS;
  private readonly config: ResolvedDiscordConfig;
  private readonly opts: DiscordAdapterOptions;
  private readonly log: Logger;
  private client: Client | undefined;
  private botId: string | undefined;
  private fetchImpl: FetchLike = (url, init) => fetch(url, init);
  private emitChain: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  /** ends a start() still waiting for the gateway when stop() is called */
  private cancelStart: (() => void) | undefined;
  /** one proxy agent per adapter, reused across restarts */
  private agent: unknown;
  /** fetches what was sent while the gateway was away (catchup.ts); needs ctx.cursors */
  private catchup: DiscordCatchup<Message> | undefined;
  /** the chat commands as slash commands (interactions.ts) */
  private readonly slash: SlashCommands;

  constructor(config: ResolvedDiscordConfig, opts: DiscordAdapterOptions) {
    this.config = config;
    this.opts = opts;
    this.log = opts.logger;
    this.slash = new SlashCommands({ rest: () => this.client?.rest as unknown as InteractionRest | undefined, logger: opts.logger, token: config.token });
  }

  get botUserId(): string | undefined {
    return this.botId;
  }

  async start(ctx: ChannelContext): Promise<void> {
    if (this.client) await this.stop();
    if (ctx.signal.aborted) return;
    ctx.setStatus("connecting");
    // @discordjs/ws beside it, for the sharding strategy (sharding.ts): in the bundle it is discord.js's own copy
    const [djs, dws] = await Promise.all([import("discord.js"), import("@discordjs/ws")]);
    const agent = await this.proxyAgent();
    const { GatewayIntentBits: I, Partials, Events } = djs;
    const client = new djs.Client({
      intents: [I.Guilds, I.GuildMessages, I.DirectMessages, I.MessageContent],
      // DM channels are not cached until a message arrives in them
      partials: [Partials.Channel],
      allowedMentions: { parse: [], repliedUser: false },
      // only what this channel reads back: a busy server must not grow the gateway (caches.ts)
      ...clientCaches(djs.Options),
      // closes shards that would otherwise reconnect after destroy() (see sharding.ts)
      ws: { buildStrategy: buildStoppableStrategy(dws, djs.Collection as never) as never },
      rest: {
        api: this.config.apiRoot,
        retries: 0,
        rejectOnRateLimit: () => true,
        timeout: 15_000,
        ...(agent ? { agent: agent as never } : {}),
        makeRequest: (agent ? withMultipartBodies(djs.DefaultRestOptions.makeRequest as unknown as MakeRequest) : leanSender()) as never,
      },
    });
    this.client = client;
    const live = () => this.client === client;
    const status: ChannelContext["setStatus"] = (state, detail) => {
      if (live() && !ctx.signal.aborted) ctx.setStatus(state, detail);
    };
    const token = this.config.token;

    const catchUp = () => {
      if (live() && this.botId) void this.catchup?.run();
    };
    this.catchup = ctx.cursors ? this.buildCatchup(client, ctx) : undefined;
    client.on(Events.ShardReady, () => (status("online"), catchUp()));
    client.on(Events.ShardResume, () => (status("online"), catchUp()));
    client.on(Events.ShardReconnecting, () => {
      if (live()) this.log.warn("Discord gateway connection lost; reconnecting");
      status("reconnecting", "gateway connection lost; reconnecting");
    });
    client.on(Events.ShardDisconnect, (event: { code: number }) => {
      const reason = describeFatalClose(event.code);
      if (live()) this.log.error({ code: event.code }, reason);
      status("offline", reason);
      // discord.js gives up on these closes; the supervisor decides (a rejected token is not retried)
      if (live() && !ctx.signal.aborted) ctx.fail?.(new ChannelError(loginErrorCode(reason) === "auth" ? "auth" : "permanent", reason));
    });
    client.on(Events.ShardError, (err: Error) => {
      if (live()) this.log.warn({ err: scrub(err.message, token) }, "Discord gateway error");
    });
    client.on(Events.Error, (err: Error) => {
      if (live()) this.log.warn({ err: scrub(err.message, token) }, "Discord client error");
    });
    client.rest.on("rateLimited", (info: { route: string; retryAfter: number; global: boolean }) => {
      this.log.debug({ route: info.route, retryAfterMs: info.retryAfter, global: info.global }, "Discord rate limit");
    });
    client.on(Events.MessageCreate, (message: Message) => {
      if (live()) void this.onMessage(message, ctx).catch(() => undefined); // logged in onMessage
    });
    client.on(Events.Raw, (packet: { t?: string | null; d?: unknown }) => {
      const botId = this.botId ?? client.user?.id;
      if (live() && botId && packet.t === "INTERACTION_CREATE") void this.slash.handle(packet.d, botId, (msg) => ctx.emit(msg));
    });

    ctx.signal.addEventListener("abort", () => live() && void this.stop(), { once: true });
    const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = this.opts.readyTimeoutMs ?? 60_000;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Discord gateway was not ready after ${Math.round(timeoutMs / 1000)} s (check the network; channels.discord.proxy does not cover the gateway WebSocket)`)),
        timeoutMs,
      );
    });
    const cancelled = new Promise<void>((resolve) => {
      this.cancelStart = resolve;
      ctx.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    try {
      await Promise.race([client.login(token).then(() => ready), timedOut, cancelled]);
    } catch (err) {
      if (!live() || ctx.signal.aborted) return; // stopped while connecting
      const reason = err instanceof Error && err.message.startsWith("Discord gateway was not ready") ? err.message : describeLoginError(err, token);
      this.log.error({ err: reason }, "Discord login failed");
      status("offline", reason);
      await this.stop();
      throw new ChannelError(loginErrorCode(reason), reason);
    } finally {
      clearTimeout(timer);
      if (live()) this.cancelStart = undefined;
    }
    if (!live() || ctx.signal.aborted) return;
    this.botId = client.user?.id;
    this.log.info({ bot: client.user?.username, botId: this.botId }, "Discord connected");
    status("online");
    const applicationId = client.application?.id ?? this.botId;
    if (applicationId) void this.slash.register(applicationId); // never holds up start; a failure is a warning
    catchUp();
  }

  async stop(): Promise<void> {
    this.cancelStart?.();
    this.cancelStart = undefined;
    if (this.stopping) return this.stopping;
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    const timeoutMs = this.opts.stopTimeoutMs ?? 3_000;
    this.stopping = (async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
        timer.unref();
      });
      await Promise.race([client.destroy().catch(() => undefined), timeout]);
      clearTimeout(timer);
    })();
    try {
      await this.stopping;
    } finally {
      this.stopping = undefined;
    }
  }

  async send(chatId: string, chunk: OutboundChunk): Promise<{ messageId: string }> {
    const rest = this.rest("send a message");
    const answered = await this.slash.answer(chatId, chunk); // a slash command's answer edits its response
    if (answered) return answered;
    const target = chunk.threadId && chunk.threadId !== chatId ? chunk.threadId : chatId;
    const { body, files, truncated } = buildMessageBody(chunk, CAPABILITIES.maxTextLength);
    if (truncated) this.log.warn({ chatId: target, length: chunk.text.length }, "Discord message over 2000 characters was cut");
    let res: unknown;
    try {
      res = await rest.post(`/channels/${target}/messages`, { body, ...(files.length ? { files } : {}) });
    } catch (err) {
      // over the server's upload limit (10 MB, more with boosts): the words and a note go instead
      if (!(files.length && chunk.media && isTooLarge(err))) throw mapRestError(err, `post in channel ${target}`, this.config.token);
      this.log.warn({ chatId: target, file: files[0]!.name }, "Discord refused the file as too large; sending a note instead");
      const note = fileNotSentNote(chunk.media, "Discord refused it as larger than this server's upload limit.");
      const { media: _unsent, ...words } = chunk;
      return this.send(chatId, { ...words, text: withNote(chunk.text, note) });
    }
    const id = typeof res === "object" && res !== null && "id" in res ? (res as { id: unknown }).id : undefined;
    if (typeof id !== "string") throw new Error(`Discord accepted the message for channel ${target} but returned no message id`);
    return { messageId: id };
  }

  edit(chatId: string, messageId: string, chunk: OutboundChunk): Promise<void> {
    return editDiscordMessage(this.rest("edit a message"), chatId, messageId, chunk, CAPABILITIES.maxTextLength, this.config.token);
  }

  deleteMessage(chatId: string, messageId: string, threadId?: string): Promise<void> {
    return deleteDiscordMessage(this.rest("delete a message"), chatId, messageId, threadId, this.config.token);
  }

  async typing(chatId: string, threadId?: string): Promise<void> {
    const rest = this.rest("show typing");
    const target = threadId && threadId !== chatId ? threadId : chatId;
    try {
      await rest.post(`/channels/${target}/typing`);
    } catch (err) {
      throw mapRestError(err, `show typing in channel ${target}`, this.config.token);
    }
  }

  /** GET /users/@me: cheap proof that REST and the token still work */
  async probe(): Promise<void> {
    const rest = this.rest("probe");
    try {
      await rest.get("/users/@me");
    } catch (err) {
      throw mapRestError(err, "read the bot user", this.config.token);
    }
  }

  private rest(what: string): RestLike {
    const client = this.client;
    if (!client) throw new Error(`Discord channel is not running; cannot ${what} (start it first)`);
    return client.rest as unknown as RestLike;
  }

  private async proxyAgent(): Promise<unknown> {
    if (!this.config.proxy || this.agent) return this.agent;
    const undici = await import("undici");
    const agent = new undici.ProxyAgent(this.config.proxy);
    this.agent = agent;
    this.fetchImpl = (url, init) => undici.fetch(url, { ...(init as object), dispatcher: agent }) as unknown as Promise<Response>;
    this.log.info("Discord REST and attachment downloads go through channels.discord.proxy; the gateway WebSocket connects directly");
    return agent;
  }

  private buildCatchup(client: Client, ctx: ChannelContext): DiscordCatchup<Message> {
    return new DiscordCatchup<Message>({
      cursors: ctx.cursors!,
      logger: this.log,
      fetchAfter: async (channelId, after) => {
        const channel = await client.channels.fetch(channelId);
        if (!channel?.isTextBased()) return [];
        return [...(await channel.messages.fetch({ after, limit: 100, cache: false })).values()];
      },
      guildChannels: () =>
        [...client.channels.cache.values()]
          .filter((c) => c.isTextBased() && !c.isDMBased() && c.permissionsFor(client.user!)?.has(["ViewChannel", "ReadMessageHistory"]) === true)
          .map((c) => c.id),
      emit: (message) => this.onMessage(message, ctx),
    });
  }

  /** resolves once the gateway stored the message (or it was dropped); rejects when it could not be stored */
  private onMessage(message: Message, ctx: ChannelContext): Promise<void> {
    const botId = this.botId ?? message.client.user?.id;
    if (!botId) return Promise.resolve();
    let msg: InboundMessage | null;
    try {
      msg = normalizeMessage(message, {
        botId,
        download: (url, name, size) =>
          downloadAttachment(url, name, {
            maxBytes: this.opts.maxMediaBytes ?? MAX_ATTACHMENT_BYTES,
            reportedSize: size,
            fetch: this.fetchImpl,
          }),
      });
    } catch (err) {
      this.log.warn({ err: errorMessage(err), messageId: message.id }, "could not read a Discord message");
      return Promise.resolve();
    }
    if (!msg) return Promise.resolve();
    const inbound = msg;
    this.catchup?.arrived(inbound.chatId, inbound.messageId);
    // one at a time, in gateway order
    const stored = this.emitChain.then(() => ctx.emit(inbound));
    this.emitChain = stored.then(
      () => this.catchup?.seenLive(inbound.chatId, inbound.messageId),
      (err: unknown) => {
        this.log.error({ err: errorMessage(err), messageId: inbound.messageId }, "gateway did not accept a Discord message; catch-up fetches it again");
      },
    );
    return stored;
  }
}
