// The bot's command menu (the "/" button in Telegram clients), set from the
// gateway's one command list each time the channel starts. A failure is a
// warning, never a reason not to start: typed commands work without the menu.
import { commandMenu } from "../../src/core/chat-commands.ts";
import type { Logger } from "../../src/core/logger.ts";
import { toChannelError, type TelegramClient } from "./client.ts";

/** The menu as setMyCommands takes it (Telegram allows 1-256 characters per description). */
export function telegramCommands(): { command: string; description: string }[] {
  return commandMenu().map((c) => ({ command: c.name, description: c.description.slice(0, 256) }));
}

/** Sets the menu; resolves either way (false when Telegram refused or could not be reached). */
export async function setCommandMenu(client: TelegramClient, logger: Logger): Promise<boolean> {
  try {
    await client.api.setMyCommands(telegramCommands());
    return true;
  } catch (err) {
    const reason = toChannelError(err, "setMyCommands", client.redact).message;
    logger.warn({ err: reason }, "could not set the Telegram command menu; typed commands still work");
    return false;
  }
}
