// Edits and deletions of the bot's own messages, for replies that stream in
// (src/gateway/live-reply.ts): PATCH /channels/{id}/messages/{id} with the
// same content rules as a send (2000 characters, no pings), DELETE for a live
// part the final reply no longer needs. A message already deleted (10008)
// counts as deleted.
import { ChannelError, type LiveEditLimits, type OutboundChunk } from "../../src/core/channel.ts";
import { mapRestError } from "./errors.ts";
import { buildMessageBody } from "./outgoing.ts";

/**
 * Discord's per-channel message bucket allows 5 requests per 5 s; an edit a
 * second leaves room for the final text and other replies. A 429 still
 * arrives as rate_limited with Discord's retry_after.
 */
export const DISCORD_LIVE_EDITS: LiveEditLimits = { minIntervalMs: 1000 };

export interface EditRest {
  patch(route: `/${string}`, options?: { body?: unknown }): Promise<unknown>;
  delete(route: `/${string}`): Promise<unknown>;
}

/** the channel the message lives in: its thread when the chunk names one */
function target(chatId: string, threadId: string | undefined): string {
  return threadId && threadId !== chatId ? threadId : chatId;
}

function isId(v: string): boolean {
  return /^\d+$/.test(v);
}

export async function editDiscordMessage(rest: EditRest, chatId: string, messageId: string, chunk: OutboundChunk, maxLength: number, token: string): Promise<void> {
  const channel = target(chatId, chunk.threadId);
  if (!isId(messageId) || !isId(channel)) throw new ChannelError("permanent", `Discord ids are numbers; cannot edit message "${messageId}" in "${channel}"`);
  // an edit keeps the message's reply link and files; only the words change
  const { body } = buildMessageBody({ text: chunk.text, format: chunk.format }, maxLength);
  try {
    await rest.patch(`/channels/${channel}/messages/${messageId}`, { body: { content: body.content, allowed_mentions: body.allowed_mentions } });
  } catch (err) {
    throw mapRestError(err, `edit a message in channel ${channel}`, token);
  }
}

export async function deleteDiscordMessage(rest: EditRest, chatId: string, messageId: string, threadId: string | undefined, token: string): Promise<void> {
  const channel = target(chatId, threadId);
  if (!isId(messageId) || !isId(channel)) throw new ChannelError("permanent", `Discord ids are numbers; cannot delete message "${messageId}" in "${channel}"`);
  try {
    await rest.delete(`/channels/${channel}/messages/${messageId}`);
  } catch (err) {
    if ((err as { code?: unknown }).code === 10008) return; // Unknown Message: already gone
    throw mapRestError(err, `delete a message in channel ${channel}`, token);
  }
}
