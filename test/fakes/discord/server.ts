// A fake Discord on 127.0.0.1 (ephemeral port): REST v10 (rest.ts) and the
// gateway (gateway.ts) on one HTTP server, with one guild (#general and a
// thread), DM channels, a bot user, people and another bot. Tests drive it:
// dispatch messages, queue REST failures, drop or invalidate the gateway
// session, and read back what the client sent. Every message is kept in its
// channel's history (served by GET /channels/:id/messages), including those
// "sent" while no client is connected: that is what catch-up reads.
//
//   const fake = await FakeDiscord.start({ heartbeatIntervalMs: 500 });
//   adapter config: { token: fake.token, api_base: fake.apiBase }
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { FakeGateway } from "./gateway.ts";
import { FakeInteractions } from "./interactions.ts";
import {
  ChannelTypes,
  Intents,
  dmChannelPayload,
  guildCreatePayload,
  messagePayload,
  snowflake,
  threadPayload,
  userPayload,
  type AttachmentPayload,
  type FakeGuild,
  type FakeUser,
  type MessagePayload,
  type MessageSpec,
} from "./payloads.ts";
import { handleRest, type CreateMessageBody, type MessageFailure, type SentFile, type SentMessage } from "./rest.ts";
import { DiscordEditBook } from "./edits.ts";

export type { SentMessage, SentFile, MessageFailure, MessagePayload, AttachmentPayload, FakeUser };
export { ChannelTypes, Intents, VOICE_MESSAGE_FLAG, snowflake } from "./payloads.ts";

export interface FakeDiscordOptions {
  token?: string;
  /** HELLO's heartbeat_interval; default 45 000 (Discord's is ~41 250) */
  heartbeatIntervalMs?: number;
  /** false: the bot has not been granted Message Content (IDENTIFY asking for it closes 4014) */
  allowPrivilegedIntents?: boolean;
  /** the gateway URL GET /gateway/bot advertises; default this server */
  gatewayUrl?: string;
}

export type MessageInput = Partial<Omit<MessageSpec, "channelId" | "channelType" | "guildId">>;

export class FakeDiscord {
  readonly token: string;
  readonly bot: FakeUser = { id: snowflake(), username: "switchbot", global_name: "Switch Bot", bot: true };
  readonly alice: FakeUser = { id: snowflake(), username: "alice", global_name: "Alice A." };
  readonly bob: FakeUser = { id: snowflake(), username: "bob", global_name: null };
  readonly otherBot: FakeUser = { id: snowflake(), username: "otherbot", global_name: null, bot: true };
  readonly guild: FakeGuild = {
    id: snowflake(),
    name: "Fake Guild",
    channelId: snowflake(),
    threadId: snowflake(),
    botRoleId: snowflake(),
  };
  readonly gateway: FakeGateway;
  /** application commands and interactions (interactions.ts) */
  readonly interactions: FakeInteractions;
  readonly sent: SentMessage[] = [];
  /** PATCH / DELETE of the bot's messages, with the edit bucket (edits.ts) */
  readonly editBook = new DiscordEditBook();
  readonly typing: string[] = [];
  readonly requests: { method: string; path: string }[] = [];
  readonly unknownRoutes: string[] = [];
  /** POST /channels/:id/messages requests, failed ones included */
  messageRequests = 0;
  /** bytes of attachments one message may carry (a server without boosts: 10 MiB); more answers 413 / 40005 */
  uploadLimit = 10 * 1024 * 1024;

  private readonly server: Server;
  private port = 0;
  private readonly failures: MessageFailure[] = [];
  private readonly dmChannels = new Map<string, FakeUser>();
  private readonly attachments = new Map<string, { data: Buffer; contentType: string }>();
  private readonly messages = new Set<string>();
  /** every message per channel, oldest first: what GET /channels/:id/messages serves */
  private readonly history = new Map<string, MessagePayload[]>();
  private readonly joinedAt = new Date().toISOString();
  private readonly advertisedGateway: string | undefined;

  private constructor(opts: FakeDiscordOptions) {
    this.token = opts.token ?? "MTAxfake.bot-token.for-tests-only-0123456789";
    this.advertisedGateway = opts.gatewayUrl;
    this.gateway = new FakeGateway({
      token: this.token,
      heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 45_000,
      allowPrivilegedIntents: opts.allowPrivilegedIntents ?? true,
      readyData: (sessionId) => ({
        v: 10,
        user: { ...userPayload(this.bot), verified: true, mfa_enabled: false },
        guilds: [{ id: this.guild.id, unavailable: true }],
        session_id: sessionId,
        session_type: "normal",
        resume_gateway_url: this.resumeUrl,
        shard: [0, 1],
        application: { id: this.bot.id, flags: 0 },
        private_channels: [],
        relationships: [],
        presences: [],
        guild_join_requests: [],
        geo_ordered_rtc_regions: [],
        user_settings: {},
      }),
      afterReady: (intents) =>
        intents & Intents.Guilds ? [{ t: "GUILD_CREATE", d: guildCreatePayload(this.guild, this.bot, this.joinedAt) }] : [],
    });
    this.interactions = new FakeInteractions({ token: this.token, bot: this.bot, guild: this.guild, dispatch: (t, d) => this.gateway.dispatch(t, d) });
    this.server = createServer((req, res) => {
      handleRest(this, req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ message: `fake Discord crashed: ${String(err)}`, code: 0 }));
      });
    });
    this.server.on("upgrade", (req, socket, head) => this.gateway.handleUpgrade(req, socket, head));
  }

  static async start(opts: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const fake = new FakeDiscord(opts);
    await new Promise<void>((resolve) => fake.server.listen(0, "127.0.0.1", resolve));
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  /** what the adapter's `api_base` should be */
  get apiBase(): string {
    return `${this.baseUrl}/api`;
  }
  get gatewayUrl(): string {
    return this.advertisedGateway ?? `ws://127.0.0.1:${this.port}`;
  }
  get resumeUrl(): string {
    return `ws://127.0.0.1:${this.port}/resume`;
  }

  async close(): Promise<void> {
    await this.gateway.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- state the REST routes read -------------------------------------------------

  botUserPayload(): Record<string, unknown> {
    return { ...userPayload(this.bot), verified: true, mfa_enabled: false };
  }

  channel(id: string): Record<string, unknown> | undefined {
    if (id === this.guild.channelId) return { id, type: ChannelTypes.GuildText, guild_id: this.guild.id, name: "general" };
    if (id === this.guild.threadId) return threadPayload(this.guild, this.bot);
    const recipient = this.dmChannels.get(id);
    return recipient ? dmChannelPayload(id, recipient) : undefined;
  }

  attachmentAt(path: string): { data: Buffer; contentType: string } | undefined {
    return this.attachments.get(path);
  }

  knowsMessage(id: string): boolean {
    return this.messages.has(id);
  }

  /**
   * A channel's history as GET /channels/:id/messages?after=&limit= answers it:
   * the `limit` oldest messages after `after`, newest first (Discord's order).
   */
  messagesAfter(channelId: string, after: string | undefined, limit: number): MessagePayload[] {
    const all = this.history.get(channelId) ?? [];
    const newer = after === undefined ? all : all.filter((m) => BigInt(m.id) > BigInt(after));
    return newer.slice(0, limit).reverse();
  }

  /** GET /channels/:id/messages requests served */
  historyRequests = 0;

  takeMessageFailure(): MessageFailure | undefined {
    return this.failures.shift();
  }

  /** stores a message the bot posted and echoes it on the gateway, as Discord does */
  recordBotMessage(channelId: string, body: CreateMessageBody, files: SentFile[], contentType: string): MessagePayload {
    const isDm = this.dmChannels.has(channelId);
    const created = messagePayload({
      channelId,
      channelType: this.channelType(channelId),
      ...(isDm ? {} : { guildId: this.guild.id }),
      author: this.bot,
      content: body.content ?? "",
      attachments: files.map((f) => this.addAttachment({ data: f.data, contentType: f.contentType, filename: f.name, channelId })),
      mentions: [],
    });
    this.remember(created);
    this.sent.push({ channelId, messageId: created.id, body, files, contentType });
    this.deliver(created);
    return created;
  }

  // ---- test hooks -----------------------------------------------------------------

  /** the DM channel between the bot and `user` (created on first use) */
  dmChannelId(user: FakeUser = this.alice): string {
    for (const [id, u] of this.dmChannels) if (u.id === user.id) return id;
    const id = snowflake();
    this.dmChannels.set(id, user);
    return id;
  }

  /** a direct message from `input.author` (default alice) */
  dm(content: string, input: MessageInput = {}): MessagePayload {
    const author = input.author ?? this.alice;
    return this.dispatchMessage({ ...input, content, author, channelId: this.dmChannelId(author), channelType: ChannelTypes.DM });
  }

  /** a message in #general, or in its thread with `thread: true` */
  guildMessage(content: string, input: MessageInput & { thread?: boolean } = {}): MessagePayload {
    const { thread, ...rest } = input;
    return this.dispatchMessage({
      ...rest,
      content,
      author: input.author ?? this.alice,
      guildId: this.guild.id,
      channelId: thread ? this.guild.threadId : this.guild.channelId,
      channelType: thread ? ChannelTypes.PublicThread : ChannelTypes.GuildText,
    });
  }

  /**
   * Sends MESSAGE_CREATE (mentions derived from `<@id>` / `<@&id>` in the
   * content unless given). Like Discord, nothing is sent without the matching
   * intent, and guild content is blanked without Message Content unless the
   * bot is mentioned.
   */
  dispatchMessage(spec: MessageSpec): MessagePayload {
    const users = [this.bot, this.alice, this.bob, this.otherBot];
    const mentions = spec.mentions ?? users.filter((u) => new RegExp(`<@!?${u.id}>`).test(spec.content));
    const mentionRoles = spec.mentionRoles ?? [...spec.content.matchAll(/<@&(\d+)>/g)].map((m) => m[1]!);
    const msg = messagePayload({ ...spec, mentions, mentionRoles });
    this.remember(msg);
    this.deliver(msg);
    return msg;
  }

  /** bytes served like a CDN attachment; the returned object goes into `attachments` */
  addAttachment(a: { data: Buffer; contentType: string; filename: string; channelId?: string; size?: number; durationSecs?: number }): AttachmentPayload {
    const id = snowflake();
    const path = `/attachments/${a.channelId ?? this.guild.channelId}/${id}/${encodeURIComponent(a.filename)}`;
    this.attachments.set(path, { data: a.data, contentType: a.contentType });
    const url = `${this.baseUrl}${path}?ex=6800aaaa&is=67ff5555&hm=fakesignature`;
    return {
      id,
      filename: a.filename,
      size: a.size ?? a.data.length,
      url,
      proxy_url: url,
      content_type: a.contentType,
      ...(a.durationSecs !== undefined ? { duration_secs: a.durationSecs, waveform: "AAAA" } : {}),
    };
  }

  /**
   * A person uses a registered slash command (INTERACTION_CREATE): in a DM with
   * the bot (default), in #general, or in its thread. Returns the payload sent.
   */
  slashCommand(name: string, input: { options?: Record<string, string>; user?: FakeUser; where?: "dm" | "guild" | "thread" } = {}): Record<string, unknown> {
    const user = input.user ?? this.alice;
    const where = input.where ?? "dm";
    if (where === "dm") return this.interactions.dispatch({ name, user, channel: dmChannelPayload(this.dmChannelId(user), user), ...(input.options ? { options: input.options } : {}) });
    const channelId = where === "thread" ? this.guild.threadId : this.guild.channelId;
    return this.interactions.dispatch({ name, user, channel: this.channel(channelId)!, guildId: this.guild.id, ...(input.options ? { options: input.options } : {}) });
  }

  /** the next message POST answers with this failure (queue several by calling again) */
  failNextMessage(f: MessageFailure): void {
    this.failures.push(f);
  }

  dropConnection(): void {
    this.gateway.dropConnection();
  }
  sendReconnect(): void {
    this.gateway.sendReconnect();
  }
  sendInvalidSession(resumable: boolean): void {
    this.gateway.sendInvalidSession(resumable);
  }
  closeConnection(code: number, reason?: string): void {
    this.gateway.closeConnection(code, reason);
  }

  /** resolves once `n` messages were posted in total */
  async waitForSent(n: number, timeoutMs = 5_000): Promise<SentMessage[]> {
    await this.waitFor(() => this.sent.length >= n, `${n} sent message(s), got ${this.sent.length}`, timeoutMs);
    return this.sent;
  }

  async waitFor(cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`fake Discord: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  // ---- internals ------------------------------------------------------------------

  private remember(msg: MessagePayload): void {
    this.messages.add(msg.id);
    const list = this.history.get(msg.channel_id) ?? [];
    list.push(msg);
    this.history.set(msg.channel_id, list);
  }

  private channelType(channelId: string): number {
    if (this.dmChannels.has(channelId)) return ChannelTypes.DM;
    return channelId === this.guild.threadId ? ChannelTypes.PublicThread : ChannelTypes.GuildText;
  }

  private deliver(msg: MessagePayload): void {
    if (!this.gateway.sessionId) return;
    const intents = this.gateway.intents;
    const isDm = !msg.guild_id;
    if (isDm && !(intents & Intents.DirectMessages)) return;
    if (!isDm && !(intents & Intents.GuildMessages)) return;
    const fromBot = (msg.author as { id: string }).id === this.bot.id;
    const mentionsBot = msg.mentions.some((m) => m.id === this.bot.id);
    const blank = !isDm && !fromBot && !mentionsBot && !(intents & Intents.MessageContent);
    this.gateway.dispatch("MESSAGE_CREATE", blank ? { ...msg, content: "", attachments: [], embeds: [] } : msg);
  }
}
