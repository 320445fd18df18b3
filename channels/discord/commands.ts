// Discord slash commands: the gateway's chat commands (src/core/chat-commands.ts,
// the one list) registered as global application commands, and an
// INTERACTION_CREATE for one of them turned into the same InboundMessage a
// typed "/model smart" would be: same chat, same sender, so the same
// allow-list and the same session apply.
//
// Registration is PUT /applications/{application.id}/commands (bulk
// overwrite: the list replaces whatever the application had, so a command
// dropped from the list disappears too). Global commands work in every guild
// and in DMs. A failed registration is a warning: typed commands still work.
import { z } from "zod";
import { CHAT_COMMANDS, commandMenu } from "../../src/core/chat-commands.ts";
import type { InboundMessage } from "../../src/core/channel.ts";

/** Discord's application command and option types this file uses */
const CHAT_INPUT = 1;
const STRING_OPTION = 3;
/** interaction types: PING 1, APPLICATION_COMMAND 2 */
const APPLICATION_COMMAND = 2;
/** channel types that are threads: announcement, public and private threads */
const THREAD_TYPES = new Set([10, 11, 12]);
/** interaction contexts: GUILD 0, BOT_DM 1 */
const CONTEXTS = [0, 1];

export interface SlashCommandBody {
  name: string;
  description: string;
  type: number;
  contexts: number[];
  options?: { type: number; name: string; description: string; required: boolean }[];
}

/** The body of PUT /applications/{id}/commands (Discord caps descriptions at 100 characters). */
export function slashCommandBodies(): SlashCommandBody[] {
  return commandMenu().map((c) => ({
    name: c.name,
    description: c.description.slice(0, 100),
    type: CHAT_INPUT,
    contexts: CONTEXTS,
    ...(c.arg ? { options: [{ type: STRING_OPTION, name: c.arg.name, description: c.arg.description.slice(0, 100), required: false }] } : {}),
  }));
}

const UserSchema = z.looseObject({ id: z.string(), username: z.string(), global_name: z.string().nullish(), bot: z.boolean().optional() });

/** What the gateway's INTERACTION_CREATE carries that this channel reads (checked, never trusted). */
export const InteractionSchema = z.looseObject({
  id: z.string(),
  application_id: z.string(),
  type: z.number(),
  token: z.string(),
  data: z
    .looseObject({
      name: z.string(),
      type: z.number().optional(),
      options: z.array(z.looseObject({ name: z.string(), type: z.number(), value: z.unknown().optional() })).optional(),
    })
    .optional(),
  guild_id: z.string().optional(),
  channel_id: z.string().optional(),
  channel: z.looseObject({ id: z.string(), type: z.number() }).optional(),
  member: z.looseObject({ nick: z.string().nullish(), user: UserSchema }).optional(),
  user: UserSchema.optional(),
});
export type Interaction = z.infer<typeof InteractionSchema>;

/**
 * One of our slash commands as the text a person would have typed ("/model
 * smart"); undefined for other interactions and for commands not on the list.
 */
export function commandText(i: Interaction): string | undefined {
  if (i.type !== APPLICATION_COMMAND || !i.data || (i.data.type ?? CHAT_INPUT) !== CHAT_INPUT) return undefined;
  if (!Object.hasOwn(CHAT_COMMANDS, `/${i.data.name}`)) return undefined;
  const args = (i.data.options ?? [])
    .filter((o) => o.type === STRING_OPTION && typeof o.value === "string" && o.value.trim())
    .map((o) => (o.value as string).trim());
  return [`/${i.data.name}`, ...args].join(" ");
}

/**
 * The interaction as an inbound message: chatId the channel it was used in
 * (a thread is its own chat, as for messages), messageId the interaction id,
 * `mentioned` because a slash command is addressed to the bot.
 */
export function interactionToInbound(i: Interaction, botId: string): InboundMessage | undefined {
  const text = commandText(i);
  const user = i.member?.user ?? i.user;
  const chatId = i.channel?.id ?? i.channel_id;
  if (!text || !user || !chatId || user.bot) return undefined;
  const isDirect = !i.guild_id;
  const isThread = i.channel ? THREAD_TYPES.has(i.channel.type) : false;
  return {
    channel: "discord",
    accountId: botId,
    chatId,
    chatType: isDirect ? "direct" : "group",
    ...(isThread ? { threadId: chatId } : {}),
    messageId: i.id,
    senderId: user.id,
    senderUsername: user.username,
    senderName: i.member?.nick ?? user.global_name ?? user.username,
    text,
    ...(isDirect ? {} : { mentioned: true }),
    sentAt: snowflakeTime(i.id),
  };
}

function snowflakeTime(id: string): number | undefined {
  try {
    return Number((BigInt(id) >> 22n) + 1420070400000n);
  } catch {
    return undefined;
  }
}
