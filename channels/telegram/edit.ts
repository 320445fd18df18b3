// Edits and deletions of the bot's own messages, for replies that stream in
// (src/gateway/live-reply.ts): editMessageText with the same HTML rendering
// and plain-text fallback as sendMessage, deleteMessage for a live part the
// final reply no longer needs. Telegram answers 400 "message is not
// modified" to an edit that changes nothing; that is success here, since the
// message already shows the text.
import type { LiveEditLimits, OutboundChunk } from "../../src/core/channel.ts";
import { ChannelError } from "../../src/core/channel.ts";
import type { Logger } from "../../src/core/logger.ts";
import { apiErrorOf, toChannelError, type TelegramClient } from "./client.ts";
import { bodyOf, isMarkupRejection, toChatId } from "./send.ts";

/** Telegram allows about one message (or edit) per second in a chat, and answers 429 with retry_after beyond that. */
export const TELEGRAM_LIVE_EDITS: LiveEditLimits = { minIntervalMs: 1000 };

function notModified(err: unknown): boolean {
  const api = apiErrorOf(err);
  return api?.code === 400 && /message is not modified/i.test(api.description);
}

function alreadyGone(err: unknown): boolean {
  const api = apiErrorOf(err);
  return api?.code === 400 && /message to delete not found|message can't be deleted/i.test(api.description);
}

function messageIdOf(messageId: string): number {
  if (!/^\d+$/.test(messageId)) throw new ChannelError("permanent", `Telegram message ids are numbers; cannot edit "${messageId}"`);
  return Number(messageId);
}

/** editMessageText with the chunk rendered as sendMessage renders it; "not modified" is success */
export async function editTelegramMessage(client: TelegramClient, logger: Logger, chatId: string, messageId: string, chunk: OutboundChunk): Promise<void> {
  const chat = toChatId(chatId);
  const id = messageIdOf(messageId);
  if (!chunk.text.trim()) throw new ChannelError("permanent", "Telegram cannot show an empty message; nothing was edited");
  const body = bodyOf(chunk);
  try {
    await client.api.editMessageText(chat, id, body.text, body.html ? { parse_mode: "HTML" } : {});
    return;
  } catch (err) {
    if (notModified(err)) return;
    if (!body.html || !isMarkupRejection(err)) throw toChannelError(err, "editMessageText", client.redact);
    logger.warn({ err: apiErrorOf(err)?.description }, "Telegram rejected the HTML of an edit; editing with plain text");
  }
  try {
    await client.api.editMessageText(chat, id, body.plain);
  } catch (err) {
    if (!notModified(err)) throw toChannelError(err, "editMessageText", client.redact);
  }
}

/** deleteMessage; a message already gone counts as deleted */
export async function deleteTelegramMessage(client: TelegramClient, chatId: string, messageId: string): Promise<void> {
  try {
    await client.api.deleteMessage(toChatId(chatId), messageIdOf(messageId));
  } catch (err) {
    if (!alreadyGone(err)) throw toChannelError(err, "deleteMessage", client.redact);
  }
}
