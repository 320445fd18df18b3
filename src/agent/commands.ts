// Chat commands answered without a model call. A command is recognized at the
// start of a message, in any case, with an optional @botname suffix as group
// chats send them (/status@mybot). Anything else starting with "/" goes to
// the model like any other text. The list itself (CHAT_COMMANDS) lives in
// src/core/chat-commands.ts, where channels can read it for their menus.
import { CHAT_COMMANDS, type ChatCommand } from "../core/chat-commands.ts";
import type { AsyncSessionStore } from "../store/backend.ts";
import type { SessionModels } from "./session-model.ts";

export { CHAT_COMMANDS, commandMenu, type ChatCommand, type CommandSpec } from "../core/chat-commands.ts";

export const NEW_SESSION_REPLY = "Started a new session.";
export const STOPPED_REPLY = "Stopped.";
export const NOTHING_RUNNING_REPLY = "Nothing is running.";

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
  sessions: Pick<AsyncSessionStore, "reset" | "getSession">;
  now: number;
  /** the configured primary model (or the turn's override) */
  primary?: string;
  fallbacks: readonly string[];
  /** text after the command */
  args?: string;
  /** per-session model choice (/model); without it /model says switching is not available */
  models?: SessionModels;
  /** the turn named its own model (HTTP API, CLI --model): the session's choice does not apply */
  turnModel?: boolean;
}

export async function runCommand(command: ChatCommand, ctx: CommandContext): Promise<string> {
  switch (command) {
    case "/new":
    case "/reset":
      await ctx.sessions.reset(ctx.sessionKey, ctx.now);
      return NEW_SESSION_REPLY;
    case "/stop":
      // a running turn is stopped by the gateway when /stop arrives; reaching a turn means none was
      return NOTHING_RUNNING_REPLY;
    case "/model":
      return modelCommand(ctx);
    case "/status":
      return statusText(ctx);
    case "/help":
      return helpText();
  }
}

export function helpText(): string {
  const width = Math.max(...Object.keys(CHAT_COMMANDS).map((k) => k.length));
  return ["Commands:", ...Object.entries(CHAT_COMMANDS).map(([k, v]) => `${k.padEnd(width)}  ${v.description}`)].join("\n");
}

const DEFAULT_WORDS = new Set(["default", "reset", "auto"]);

async function modelCommand(ctx: CommandContext): Promise<string> {
  const models = ctx.models;
  if (!models) return "Switching models is not available here.";
  const names = models.names();
  const chosen = await models.get(ctx.sessionKey);
  // the first line only: messages gathered into the same turn follow on later lines
  const args = (ctx.args ?? "").split("\n")[0]!.trim();
  if (!args) {
    if (names.length === 0) return "No models are configured (model_list in the config).";
    const current = chosen ?? ctx.primary;
    // names in backticks: the reply is Markdown, and a name like gpt_4_mini must not turn italic
    const lines = names.map((n) => `- \`${n}\`${marks(n === ctx.primary, n === current)}`);
    return ["Models:", ...lines, "", "Switch with /model <name>; /model default goes back."].join("\n");
  }
  if (DEFAULT_WORDS.has(args.toLowerCase())) {
    await models.set(ctx.sessionKey, undefined);
    return `This chat uses the default model again: ${ctx.primary ?? "(none configured)"}.`;
  }
  const name = names.find((n) => n === args) ?? uniqueIgnoringCase(names, args);
  if (!name) {
    const valid = names.length ? names.join(", ") : "(none configured)";
    return `There is no model named "${args}". Choose one of: ${valid} (or "default").`;
  }
  await models.set(ctx.sessionKey, name);
  return `This chat now uses ${name}.`;
}

function marks(isDefault: boolean, inUse: boolean): string {
  const m = [...(isDefault ? ["default"] : []), ...(inUse ? ["in use"] : [])];
  return m.length ? ` (${m.join(", ")})` : "";
}

function uniqueIgnoringCase(names: string[], wanted: string): string | undefined {
  const hits = names.filter((n) => n.toLowerCase() === wanted.toLowerCase());
  return hits.length === 1 ? hits[0] : undefined;
}

async function statusText(ctx: CommandContext): Promise<string> {
  const s = await ctx.sessions.getSession(ctx.sessionKey);
  const chosen = ctx.turnModel ? undefined : await ctx.models?.get(ctx.sessionKey);
  const dropped = ctx.turnModel ? undefined : await ctx.models?.stored(ctx.sessionKey);
  const fallbacks = ctx.fallbacks.length ? ctx.fallbacks.join(", ") : "none";
  let model: string;
  if (chosen) model = `Model: ${chosen} (chosen with /model; default ${ctx.primary ?? "none"}; fallbacks: ${fallbacks})`;
  else model = `Model: ${ctx.primary ?? "(none configured)"} (fallbacks: ${fallbacks})`;
  return [
    model,
    ...(!chosen && dropped ? [`(this chat chose ${dropped} with /model, which the config no longer has)`] : []),
    `Last answered by: ${s?.lastModel ?? "(no reply yet)"}`,
    `Session: ${ctx.sessionKey}`,
    `History: ${s?.messageCount ?? 0} messages${s?.summary ? ", plus a summary of earlier turns" : ", no summary"}`,
    `Last prompt: ${s?.lastPromptTokens !== undefined ? `${s.lastPromptTokens} tokens` : "unknown"}`,
  ].join("\n");
}
