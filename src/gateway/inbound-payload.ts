// What is stored for an inbound message: its text (a command normalised,
// the text of attached files after it), the chat's context, and its images
// and audio downloaded, so a turn has everything it needs even after a
// restart, when the platform's links may have expired.
import type { InboundMessage } from "../core/channel.ts";
import type { Logger } from "../core/logger.ts";
import { attachedFileTexts } from "../media/attached-files.ts";
import { collectMedia, DEFAULT_MAX_MEDIA_BYTES } from "./inbound-media.ts";
import type { StoredInbound } from "./pipeline-types.ts";
import { contextOf, normalizeCommand } from "./turn-text.ts";

/** `text` is the message's text as the group trigger left it (a mention of the bot taken out) */
export async function storedPayload(msg: InboundMessage, text: string, logger: Logger, maxMediaBytes = DEFAULT_MAX_MEDIA_BYTES): Promise<StoredInbound> {
  const files = await attachedFileTexts(msg, logger);
  return {
    text: [normalizeCommand(text), ...files].filter(Boolean).join("\n\n"),
    chatType: msg.chatType,
    ...(msg.threadId ? { threadId: msg.threadId } : {}),
    ...(msg.accountId ? { accountId: msg.accountId } : {}),
    ...(msg.senderName ? { senderName: msg.senderName } : {}),
    ...contextOf(msg),
    ...(await collectMedia(msg, maxMediaBytes, logger)),
  };
}
