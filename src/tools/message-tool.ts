// The `message` tool: the agent sends a message on its own initiative, to the
// chat the turn belongs to or to a chat the owner listed in
// tools.message.allow_to ("telegram:12345"). Anything else is refused.
import { z } from "zod";
import { ToolError, type Tool, type ToolContext } from "./types.ts";

/** The config's `tools.message` section. */
export interface MessageToolConfig {
  /** chats besides the current one the agent may write to, as "channel:chatId" */
  allow_to?: string[];
}

export interface MessageToolOptions {
  /** delivers text to a chat (through the outbox) */
  send: (channel: string, chatId: string, text: string) => Promise<void>;
}

/** Longest message the tool accepts; channels split long text into chunks themselves. */
export const MAX_MESSAGE_CHARS = 20_000;

export const messageArgs = z.object({
  text: z.string().trim().min(1, "text is empty").max(MAX_MESSAGE_CHARS).describe("The message to send"),
  to: z
    .string()
    .trim()
    .min(1)
    .optional()
    .describe('Target chat as "channel:chat_id", e.g. "telegram:12345". Omit to write to the current chat.'),
});
export type MessageArgs = z.infer<typeof messageArgs>;

export interface ChatAddress {
  channel: string;
  chatId: string;
}

/** "telegram:12345" → {channel, chatId}; the chat id may itself contain colons. */
export function parseChatAddress(value: string): ChatAddress | undefined {
  const at = value.indexOf(":");
  if (at <= 0 || at === value.length - 1) return undefined;
  const channel = value.slice(0, at).trim().toLowerCase();
  const chatId = value.slice(at + 1).trim();
  if (!/^[a-z][a-z0-9_-]*$/.test(channel) || chatId === "") return undefined;
  return { channel, chatId };
}

function key(a: ChatAddress): string {
  return `${a.channel}:${a.chatId}`;
}

/** The set of allowed targets; malformed entries are ignored (the config schema reports them). */
export function allowToSet(entries: readonly string[] | undefined): ReadonlySet<string> {
  const set = new Set<string>();
  for (const e of entries ?? []) {
    const a = parseChatAddress(e);
    if (a) set.add(key(a));
  }
  return set;
}

/** Chats of synthetic turns; the current chat of such a turn is not a chat one can write to. */
export const SYNTHETIC_CHANNELS: ReadonlySet<string> = new Set(["cron", "heartbeat"]);

export function createMessageTool(config: MessageToolConfig, opts: MessageToolOptions): Tool<typeof messageArgs> {
  const allowed = allowToSet(config.allow_to);
  return {
    name: "message",
    description:
      "Send a message to the user right away, without waiting for the end of the turn. " +
      'By default it goes to the current chat; `to` ("channel:chat_id") may name another chat only ' +
      "when the owner allowed it in tools.message.allow_to. To send a file from the workspace, use send_file.",
    schema: messageArgs,
    timeoutMs: 30_000,
    async run(args, ctx) {
      const target = resolveTarget(args.to, ctx, allowed);
      await opts.send(target.channel, target.chatId, args.text);
      return `Message sent to ${key(target)}.`;
    },
  };
}

function resolveTarget(to: string | undefined, ctx: ToolContext, allowed: ReadonlySet<string>): ChatAddress {
  const current: ChatAddress = { channel: ctx.origin.channel.toLowerCase(), chatId: ctx.origin.chatId };
  if (to === undefined) {
    if (SYNTHETIC_CHANNELS.has(current.channel)) {
      throw new ToolError(`This turn has no chat to write to; name a chat with "to" (one listed in tools.message.allow_to).`);
    }
    return current;
  }
  const target = parseChatAddress(to);
  if (!target) {
    throw new ToolError(`"${to}" is not a chat address; write it as "channel:chat_id", for example "telegram:12345".`);
  }
  if (key(target) === key(current) && !SYNTHETIC_CHANNELS.has(current.channel)) return target;
  if (allowed.has(key(target))) return target;
  throw new ToolError(
    `Sending to ${key(target)} is not allowed: only the current chat and the chats listed in tools.message.allow_to can receive messages.`,
  );
}
