// Edits and recalls of the bot's own messages, for replies that stream in
// (src/gateway/live-reply.ts). Feishu's "edit message" API
// (PUT /open-apis/im/v1/messages/{message_id}) takes text and post
// messages, at most 20 edits per message, 50 calls/s per app; a live part
// the final reply no longer needs is recalled with
// DELETE /open-apis/im/v1/messages/{message_id}. A rich-text body Feishu
// refuses as malformed is edited once more as plain text, as send does.
import { z } from "zod";
import { ChannelError, type LiveEditLimits, type OutboundChunk } from "../../src/core/channel.ts";
import type { Logger } from "../../src/core/logger.ts";
import { CONTENT_REFUSED, FeishuApiError, REPLY_TARGET_GONE, toChannelError } from "./errors.ts";
import { bodyFor, textBody, type OutboundBody } from "./format.ts";
import type { FeishuRest } from "./rest.ts";

/**
 * 20 edits per message is Feishu's cap: streaming stops editing a message
 * after 16, which leaves room for the final text (and for a re-run after a
 * restart); 1.5 s apart keeps a long answer within those 16 edits longer.
 */
export const FEISHU_LIVE_EDITS: LiveEditLimits = { minIntervalMs: 1500, maxEditsPerMessage: 16 };

const Answer = z.looseObject({ code: z.literal(0) });

function messagePath(messageId: string): string {
  if (!messageId) throw new ChannelError("permanent", "Feishu: no message to edit (empty message id)");
  return `/open-apis/im/v1/messages/${encodeURIComponent(messageId)}`;
}

/** PUT the chunk as send would post it; a rich-text body Feishu refuses goes once more as plain text */
export async function editFeishuMessage(rest: FeishuRest, logger: Logger, messageId: string, chunk: OutboundChunk): Promise<void> {
  if (!chunk.text.trim()) throw new ChannelError("permanent", "Feishu refuses empty messages; nothing was edited");
  const path = messagePath(messageId);
  const body = bodyFor({ text: chunk.text, format: chunk.format });
  const put = (b: OutboundBody) => rest.call("PUT", path, Answer, "edit a message", b);
  try {
    await put(body);
    return;
  } catch (err) {
    const refused = body.msg_type === "post" && err instanceof FeishuApiError && err.code !== undefined && CONTENT_REFUSED.has(err.code);
    if (!refused) throw toChannelError(err, "edit a message");
    logger.warn({ code: err.code, err: err.platformMessage }, "Feishu refused the rich-text edit; editing with plain text");
  }
  try {
    await put(textBody(chunk.text));
  } catch (err) {
    throw toChannelError(err, "edit a message");
  }
}

/** recalls the message; one already recalled or gone counts as deleted */
export async function recallFeishuMessage(rest: FeishuRest, messageId: string): Promise<void> {
  try {
    await rest.call("DELETE", messagePath(messageId), Answer, "recall a message");
  } catch (err) {
    if (err instanceof FeishuApiError && err.code !== undefined && REPLY_TARGET_GONE.has(err.code)) return;
    throw toChannelError(err, "recall a message");
  }
}
