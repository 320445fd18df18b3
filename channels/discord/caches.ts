// What the discord.js Client keeps in memory. By default it caches every
// user, guild member, emoji, sticker, reaction and voice state it hears of,
// and the last 200 messages of every channel, for as long as the gateway runs:
// a bot in busy servers grows by the people and messages it sees. The gateway
// stores what it needs itself (the inbox), so the client keeps only what this
// channel reads back from the caches:
// - guilds, channels, roles and permission overwrites (not limited: discord.js
//   needs them; catch-up and permission checks read them);
// - the bot's own guild member (permissionsFor(client.user) during catch-up)
//   and user;
// - a few messages per channel: a reply arrives with the message it answers,
//   which discord.js caches just before the reply itself, and normalize.ts
//   reads it from there (replyTo); messages older than 30 minutes are swept;
// - a few members and users per guild: normalize.ts reads the author's
//   nickname from the member cached with the message it is normalizing.
// Everything is read synchronously in the MessageCreate handler, right after
// discord.js cached it, so small limits lose nothing.
import type { ClientOptions, GuildMember, User } from "discord.js";

type Options = typeof import("discord.js").Options;

/** messages kept per channel (discord.js default 200) */
export const MESSAGES_PER_CHANNEL = 10;
/** members kept per guild and users kept in all (unlimited by default), besides the bot itself */
export const PEOPLE_KEPT = 100;
/** how often old messages are swept, and how old they must be, in seconds */
const MESSAGE_SWEEP = { interval: 600, lifetime: 1800 };

/** managers whose caches this channel never reads */
const UNUSED = [
  "ApplicationCommandManager",
  "ApplicationEmojiManager",
  "AutoModerationRuleManager",
  "BaseGuildEmojiManager",
  "EntitlementManager",
  "GuildBanManager",
  "GuildEmojiManager",
  "GuildInviteManager",
  "GuildScheduledEventManager",
  "GuildSoundboardSoundManager",
  "GuildStickerManager",
  "PresenceManager",
  "ReactionManager",
  "ReactionUserManager",
  "StageInstanceManager",
  "ThreadMemberManager",
  "VoiceStateManager",
] as const;

const isBot = (x: GuildMember | User) => x.id === x.client.user?.id;

/** the cache limits and sweepers for the Client constructor */
export function clientCaches(options: Options): Pick<ClientOptions, "makeCache" | "sweepers"> {
  return {
    makeCache: options.cacheWithLimits({
      ...Object.fromEntries(UNUSED.map((name) => [name, 0])),
      MessageManager: MESSAGES_PER_CHANNEL,
      GuildMemberManager: { maxSize: PEOPLE_KEPT, keepOverLimit: isBot },
      UserManager: { maxSize: PEOPLE_KEPT, keepOverLimit: isBot },
    }),
    sweepers: { ...options.DefaultSweeperSettings, messages: MESSAGE_SWEEP },
  };
}
