// Wire payloads of the fake Discord: users, the one guild (a text channel,
// a thread, @everyone and the bot's managed role), DM channels and messages,
// shaped like API v10 JSON so discord.js parses them as it parses Discord's.

const DISCORD_EPOCH = 1_420_070_400_000n;
let increment = 0n;

/** A snowflake for `at` (default now): timestamp in the top 42 bits, as Discord makes them. */
export function snowflake(at: number = Date.now()): string {
  increment = (increment + 1n) & 0xfffn;
  return (((BigInt(at) - DISCORD_EPOCH) << 22n) | (1n << 17n) | increment).toString();
}

export const ChannelTypes = { GuildText: 0, DM: 1, PublicThread: 11 } as const;
export const Intents = {
  Guilds: 1 << 0,
  GuildMessages: 1 << 9,
  DirectMessages: 1 << 12,
  MessageContent: 1 << 15,
} as const;
/** Intents Discord only grants when switched on in the Developer Portal. */
export const PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | Intents.MessageContent;
/** MessageFlags.IsVoiceMessage */
export const VOICE_MESSAGE_FLAG = 1 << 13;

export interface FakeUser {
  id: string;
  username: string;
  global_name: string | null;
  bot?: boolean;
}

export function userPayload(u: FakeUser): Record<string, unknown> {
  return {
    id: u.id,
    username: u.username,
    global_name: u.global_name,
    discriminator: "0",
    avatar: null,
    bot: u.bot ?? false,
    public_flags: 0,
    flags: 0,
  };
}

export interface FakeGuild {
  id: string;
  name: string;
  channelId: string;
  threadId: string;
  botRoleId: string;
}

export function guildCreatePayload(g: FakeGuild, bot: FakeUser, joinedAt: string): Record<string, unknown> {
  const role = (id: string, name: string, position: number, tags?: Record<string, unknown>) => ({
    id,
    name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position,
    // View Channel + Send Messages + Read Message History, as a typical bot invite grants
    permissions: String(1024 + 2048 + 65536),
    managed: Boolean(tags),
    mentionable: false,
    flags: 0,
    ...(tags ? { tags } : {}),
  });
  return {
    id: g.id,
    name: g.name,
    icon: null,
    owner_id: snowflake(),
    unavailable: false,
    large: false,
    member_count: 2,
    joined_at: joinedAt,
    afk_timeout: 300,
    verification_level: 0,
    premium_tier: 0,
    preferred_locale: "en-US",
    features: [],
    emojis: [],
    stickers: [],
    roles: [role(g.id, "@everyone", 0), role(g.botRoleId, bot.username, 1, { bot_id: bot.id })],
    channels: [
      {
        id: g.channelId,
        type: ChannelTypes.GuildText,
        guild_id: g.id,
        name: "general",
        position: 0,
        permission_overwrites: [],
        parent_id: null,
        nsfw: false,
        topic: null,
        last_message_id: null,
        rate_limit_per_user: 0,
      },
    ],
    threads: [threadPayload(g, bot)],
    members: [{ user: userPayload(bot), roles: [g.botRoleId], joined_at: joinedAt, deaf: false, mute: false, flags: 0 }],
    voice_states: [],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}

export function threadPayload(g: FakeGuild, owner: FakeUser): Record<string, unknown> {
  return {
    id: g.threadId,
    type: ChannelTypes.PublicThread,
    guild_id: g.id,
    parent_id: g.channelId,
    owner_id: owner.id,
    name: "a-thread",
    last_message_id: null,
    rate_limit_per_user: 0,
    message_count: 0,
    member_count: 1,
    thread_metadata: {
      archived: false,
      auto_archive_duration: 1440,
      archive_timestamp: new Date().toISOString(),
      locked: false,
    },
  };
}

export function dmChannelPayload(id: string, recipient: FakeUser): Record<string, unknown> {
  return { id, type: ChannelTypes.DM, last_message_id: null, recipients: [userPayload(recipient)] };
}

export interface AttachmentPayload {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type: string;
  duration_secs?: number;
  waveform?: string;
}

export interface MessagePayload {
  id: string;
  channel_id: string;
  guild_id?: string;
  channel_type: number;
  author: Record<string, unknown>;
  member?: Record<string, unknown>;
  content: string;
  timestamp: string;
  edited_timestamp: null;
  tts: boolean;
  mention_everyone: boolean;
  mentions: Record<string, unknown>[];
  mention_roles: string[];
  attachments: AttachmentPayload[];
  embeds: unknown[];
  pinned: boolean;
  type: number;
  flags: number;
  components: unknown[];
  webhook_id?: string;
  message_reference?: { message_id: string; channel_id: string; guild_id?: string; type: 0 | 1 };
  referenced_message?: MessagePayload | null;
  message_snapshots?: { message: Record<string, unknown> }[];
}

export interface MessageSpec {
  channelId: string;
  channelType: number;
  guildId?: string;
  author: FakeUser;
  content: string;
  mentions?: FakeUser[];
  mentionRoles?: string[];
  attachments?: AttachmentPayload[];
  flags?: number;
  /** system message type (e.g. 6 = pin added); default 0, or 19 for replies */
  type?: number;
  webhookId?: string;
  referenced?: MessagePayload;
  /** the author's nickname in the guild */
  nick?: string;
  /** a forward (message_reference type 1): the message's content and files travel as a snapshot */
  forwarded?: MessagePayload;
  /** a reply pings the replied-to author (Discord's default); default true */
  replyPing?: boolean;
  at?: number;
}

export function messagePayload(spec: MessageSpec): MessagePayload {
  const at = spec.at ?? Date.now();
  const mentions = [...(spec.mentions ?? [])];
  const ref = spec.referenced;
  // replying with ping puts the replied-to author into `mentions`, as Discord does
  if (ref && spec.replyPing !== false && !mentions.some((m) => m.id === (ref.author as { id: string }).id)) {
    mentions.push(fromPayload(ref.author));
  }
  return {
    id: snowflake(at),
    channel_id: spec.channelId,
    ...(spec.guildId ? { guild_id: spec.guildId } : {}),
    channel_type: spec.channelType,
    author: userPayload(spec.author),
    ...(spec.guildId ? { member: { roles: [], joined_at: new Date(at).toISOString(), deaf: false, mute: false, flags: 0, ...(spec.nick ? { nick: spec.nick } : {}) } } : {}),
    content: spec.content,
    timestamp: new Date(at).toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: mentions.map(userPayload),
    mention_roles: spec.mentionRoles ?? [],
    attachments: spec.attachments ?? [],
    embeds: [],
    pinned: false,
    type: spec.type ?? (ref ? 19 : 0),
    flags: spec.flags ?? 0,
    components: [],
    ...(spec.webhookId ? { webhook_id: spec.webhookId } : {}),
    ...(ref
      ? {
          message_reference: {
            type: 0 as const,
            message_id: ref.id,
            channel_id: ref.channel_id,
            ...(ref.guild_id ? { guild_id: ref.guild_id } : {}),
          },
          referenced_message: ref,
        }
      : {}),
    ...(spec.forwarded
      ? {
          message_reference: { type: 1 as const, message_id: spec.forwarded.id, channel_id: spec.forwarded.channel_id, ...(spec.forwarded.guild_id ? { guild_id: spec.forwarded.guild_id } : {}) },
          // a snapshot is a partial message: content, files, time, type; no author, as on Discord
          message_snapshots: [{ message: { content: spec.forwarded.content, attachments: spec.forwarded.attachments, embeds: [], timestamp: spec.forwarded.timestamp, edited_timestamp: null, flags: 0, mentions: [], mention_roles: [], type: 0 } }],
        }
      : {}),
  };
}

function fromPayload(author: Record<string, unknown>): FakeUser {
  return {
    id: String(author.id),
    username: String(author.username),
    global_name: typeof author.global_name === "string" ? author.global_name : null,
    bot: author.bot === true,
  };
}
