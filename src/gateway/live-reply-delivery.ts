// How the outbox delivers one chunk: a new message, or, for the final reply
// of a streamed answer, an edit of the live message the chunk names (or its
// deletion, for a live part the answer no longer needs). When the platform
// refuses the edit for good (the message was deleted, Feishu's 20-edit cap,
// an edit the platform cannot make), the chunk is sent as a new message and
// the stale one is deleted, so the person is never left with half an answer.
import { channelErrorCode, type ChannelAdapter, type OutboundChunk } from "../core/channel.ts";
import type { Logger } from "../core/logger.ts";
import { errorMessage } from "../core/errors.ts";

export async function deliverChunk(adapter: ChannelAdapter, chatId: string, chunk: OutboundChunk, logger: Logger): Promise<{ messageId: string }> {
  const { edits, remove, ...fresh } = chunk;
  if (edits === undefined) return adapter.send(chatId, fresh);
  if (remove) {
    await removeMessage(adapter, chatId, edits, chunk.threadId, logger, true);
    return { messageId: edits };
  }
  if (adapter.edit && adapter.capabilities.edit) {
    try {
      await adapter.edit(chatId, edits, fresh);
      return { messageId: edits };
    } catch (err) {
      if (channelErrorCode(err) !== "permanent") throw err;
      logger.warn({ channel: adapter.id, err: errorMessage(err) }, "could not edit the streamed message; sending the answer as a new message");
    }
  }
  const sent = await adapter.send(chatId, fresh);
  // the answer is out: a failure to delete must not make the outbox send it again
  await removeMessage(adapter, chatId, edits, chunk.threadId, logger, false);
  return sent;
}

/**
 * A live part that cannot be deleted for good stays, but never blocks the
 * reply; `retry` lets passing failures (rate limit, network) reach the outbox,
 * which tries again later.
 */
async function removeMessage(adapter: ChannelAdapter, chatId: string, messageId: string, threadId: string | undefined, logger: Logger, retry: boolean): Promise<void> {
  if (!adapter.deleteMessage) return;
  try {
    await adapter.deleteMessage(chatId, messageId, threadId);
  } catch (err) {
    if (retry && channelErrorCode(err) !== "permanent") throw err;
    logger.warn({ channel: adapter.id, err: errorMessage(err) }, "could not delete a streamed message the answer no longer needs");
  }
}
