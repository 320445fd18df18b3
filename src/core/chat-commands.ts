// The chat commands, the one list: /help, the Telegram command menu
// (setMyCommands) and Discord's slash commands are all built from it. Here in
// core so channel adapters can read it; what each command does is
// src/agent/commands.ts (and /stop, src/gateway/turn-abort.ts).

export interface CommandSpec {
  /** one line; platforms cap it (Discord: 100 characters) */
  description: string;
  /** the command's optional argument, for platforms that declare one (Discord options) */
  arg?: { name: string; description: string };
}

export const CHAT_COMMANDS = {
  "/new": { description: "start a new conversation (the old one stays on disk)" },
  "/reset": { description: "same as /new" },
  "/stop": { description: "stop the answer being written now" },
  "/model": {
    description: "list the models, or switch this chat's model with /model <name>",
    arg: { name: "name", description: 'a model name from the list, or "default" to go back' },
  },
  "/status": { description: "the model, the session and its size" },
  "/help": { description: "this list" },
} as const satisfies Record<string, CommandSpec>;
export type ChatCommand = keyof typeof CHAT_COMMANDS;

/** The command list as platforms register it: bare names ("model"), description, optional argument. */
export function commandMenu(): { name: string; description: string; arg?: { name: string; description: string } }[] {
  return Object.entries(CHAT_COMMANDS).map(([k, v]: [string, CommandSpec]) => ({ name: k.slice(1), description: v.description, ...(v.arg ? { arg: v.arg } : {}) }));
}
