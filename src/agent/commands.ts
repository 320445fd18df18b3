// Chat commands answered without a model call. A command is recognized at the
// start of a message, in any case, with an optional @botname suffix as group
// chats send them (/status@mybot). Anything else starting with "/" goes to
// the model like any other text.
import type { SessionStore } from "../store/types.ts";

export const CHAT_COMMANDS = {
  "/new": "start a new conversation (the old one stays on disk)",
  "/reset": "same as /new",
  "/status": "the model, the session and its size",
  "/help": "this list",
} as const;
export type ChatCommand = keyof typeof CHAT_COMMANDS;

export const NEW_SESSION_REPLY = "Started a new session.";

export interface ParsedCommand {
  name: ChatCommand;
  /** text after the command, trimmed ("" when none) */
  args: string;
}

export function parseCommand(text: string): ParsedCommand | undefined {
  const m = /^\s*(\/[A-Za-z]+)(?:@[A-Za-z0-9_.-]+)?(?=\s|$)([\s\S]*)$/.exec(text);
  if (!m) return undefined;
  const name = m[1]!.toLowerCase();
  if (!Object.hasOwn(CHAT_COMMANDS, name)) return undefined;
  return { name: name as ChatCommand, args: (m[2] ?? "").trim() };
}

export interface CommandContext {
  sessionKey: string;
  sessions: SessionStore;
  now: number;
  /** the configured primary model (or the turn's override) */
  primary?: string;
  fallbacks: readonly string[];
}

export function runCommand(command: ChatCommand, ctx: CommandContext): string {
  switch (command) {
    case "/new":
    case "/reset":
      ctx.sessions.reset(ctx.sessionKey, ctx.now);
      return NEW_SESSION_REPLY;
    case "/status":
      return statusText(ctx);
    case "/help":
      return helpText();
  }
}

export function helpText(): string {
  const width = Math.max(...Object.keys(CHAT_COMMANDS).map((k) => k.length));
  return ["Commands:", ...Object.entries(CHAT_COMMANDS).map(([k, v]) => `${k.padEnd(width)}  ${v}`)].join("\n");
}

function statusText(ctx: CommandContext): string {
  const s = ctx.sessions.getSession(ctx.sessionKey);
  const model = ctx.primary ?? "(none configured)";
  const fallbacks = ctx.fallbacks.length ? ctx.fallbacks.join(", ") : "none";
  return [
    `Model: ${model} (fallbacks: ${fallbacks})`,
    `Last answered by: ${s?.lastModel ?? "(no reply yet)"}`,
    `Session: ${ctx.sessionKey}`,
    `History: ${s?.messageCount ?? 0} messages${s?.summary ? ", plus a summary of earlier turns" : ", no summary"}`,
    `Last prompt: ${s?.lastPromptTokens !== undefined ? `${s.lastPromptTokens} tokens` : "unknown"}`,
  ].join("\n");
}
