// Chat commands answered without a model call: /new and /reset start a fresh
// session, /help lists the commands, /status shows the model and session.
// Recognized at the start of a message, in any case, with an optional
// @botname suffix (/status@mybot).
import type { SessionStore } from "../store/types.ts";

export const COMMANDS: Record<string, string> = {
  "/new": "start a fresh conversation (the old one is kept on disk)",
  "/reset": "same as /new",
  "/status": "show the model and this session",
  "/help": "this list",
};

export function parseCommand(text: string): string | undefined {
  const m = /^\/([a-z]+)(?:@[\w.-]+)?(?:\s|$)/i.exec(text.trim());
  if (!m) return undefined;
  const name = `/${m[1]!.toLowerCase()}`;
  return name in COMMANDS ? name : undefined;
}

export interface CommandContext {
  sessionKey: string;
  sessions: SessionStore;
  now: number;
  primary: string | undefined;
  fallbacks: string[];
  toolNames: string[];
}

export function runCommand(name: string, ctx: CommandContext): string {
  switch (name) {
    case "/new":
    case "/reset":
      ctx.sessions.reset(ctx.sessionKey, ctx.now);
      return "Started a new session. What shall we talk about?";
    case "/status": {
      const s = ctx.sessions.getSession(ctx.sessionKey);
      const lines = [
        `Model: ${ctx.primary ?? "(none configured)"}${ctx.fallbacks.length ? `, fallbacks: ${ctx.fallbacks.join(", ")}` : ""}`,
        `Last answered by: ${s?.lastModel ?? "(nothing yet)"}`,
        `Session: ${ctx.sessionKey}`,
        `Messages in history: ${s?.messageCount ?? 0}${s?.summary ? " (older turns summarized)" : ""}`,
      ];
      if (s?.lastPromptTokens) lines.push(`Last prompt: ${s.lastPromptTokens} tokens`);
      lines.push(`Tools: ${ctx.toolNames.join(", ") || "none"}`);
      return lines.join("\n");
    }
    default:
      return ["Commands:", ...Object.entries(COMMANDS).map(([k, v]) => `${k} — ${v}`)].join("\n");
  }
}
