// The bot command menu methods of the fake Bot API: setMyCommands,
// getMyCommands and deleteMyCommands, with Telegram's limits (at most 100
// commands; a command is 1-32 lower-case letters, digits and underscores; a
// description 1-256 characters) and its scopes and language codes kept
// apart, as Telegram keeps one menu per (scope, language).
import { z } from "zod";
import { bad, check } from "./wire.ts";

const Scope = z.looseObject({ type: z.string() }).optional();
const Language = z.string().regex(/^([a-z]{2})?$/, "language code is invalid").optional();

export const SetMyCommandsParams = z.object({
  commands: z
    .array(
      z.object({
        command: z.string().regex(/^[a-z0-9_]{1,32}$/, "bot command is invalid: it must be 1-32 lower-case letters, digits and underscores"),
        description: z.string().min(1, "command description is empty").max(256, "command description is too long"),
      }),
    )
    .max(100, "too many commands"),
  scope: Scope,
  language_code: Language,
});
const MenuParams = z.object({ scope: Scope, language_code: Language });

export type BotCommand = { command: string; description: string };

/** one bot's menus, keyed by scope type and language */
export class CommandMenus {
  private readonly menus = new Map<string, BotCommand[]>();

  handle(method: string, params: Record<string, unknown>): unknown {
    switch (method) {
      case "setmycommands": {
        const p = check(SetMyCommandsParams, params);
        const names = p.commands.map((c) => c.command);
        if (new Set(names).size !== names.length) throw bad("bot commands must be unique");
        this.menus.set(menuKey(p), p.commands);
        return true;
      }
      case "getmycommands":
        return this.menus.get(menuKey(check(MenuParams, params))) ?? [];
      case "deletemycommands":
        this.menus.delete(menuKey(check(MenuParams, params)));
        return true;
      default:
        return undefined;
    }
  }

  /** the default-scope menu (what a user sees without a more specific one) */
  get(scope = "default", language = ""): BotCommand[] | undefined {
    return this.menus.get(`${scope}|${language}`);
  }
}

function menuKey(p: { scope?: { type: string } | undefined; language_code?: string | undefined }): string {
  return `${p.scope?.type ?? "default"}|${p.language_code ?? ""}`;
}
