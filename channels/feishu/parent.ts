// The message a Feishu reply answers. The receive event names it only by id
// (parent_id), so its text is fetched once with GET /open-apis/im/v1/messages/
// {id}: bounded in time, because Feishu redelivers an event that is not
// acknowledged within about 3 seconds, and never fatal: without it the reply
// still reaches the gateway, just without the quote. Feishu names the
// sender only by id; the bot's own messages are recognized.
import { z } from "zod";
import type { QuotedMessage } from "../../src/core/channel.ts";
import type { Logger } from "../../src/core/logger.ts";
import { readContent } from "./normalize.ts";
import type { FeishuRest } from "./rest.ts";
import { errorMessage } from "../../src/core/errors.ts";

/** longest wait for the parent message before the event goes on without it */
export const PARENT_TIMEOUT_MS = 2000;

const MessageItem = z.looseObject({
  msg_type: z.string(),
  body: z.looseObject({ content: z.string() }).optional(),
  sender: z.looseObject({ id: z.string().optional(), id_type: z.string().optional(), sender_type: z.string().optional() }).optional(),
  mentions: z.array(z.looseObject({ key: z.string(), id: z.string().optional(), name: z.string().optional() })).optional(),
});
const MessageAnswer = z.looseObject({ data: z.looseObject({ items: z.array(MessageItem).optional() }) });

export interface ParentContext {
  rest: FeishuRest;
  appId: string;
  botOpenId: string | undefined;
  /** the bot sent that message (remembered from sending) */
  sentByBot(messageId: string): boolean;
  log: Logger;
  timeoutMs?: number;
}

/** the replied-to message's text and whether the bot wrote it; undefined when it could not be read in time */
export async function fetchParent(parentId: string, ctx: ParentContext): Promise<QuotedMessage | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ctx.timeoutMs ?? PARENT_TIMEOUT_MS);
  });
  const read = ctx.rest
    .call("GET", `/open-apis/im/v1/messages/${encodeURIComponent(parentId)}`, MessageAnswer, `read the message ${parentId} a reply answers`)
    .then((answer) => toQuoted(parentId, answer.data.items?.[0], ctx))
    .catch((err: unknown) => {
      ctx.log.info({ parentId, err: errorMessage(err) }, "Feishu: the replied-to message could not be read; the reply goes on without it");
      return undefined;
    });
  try {
    return await Promise.race([read, late]);
  } finally {
    clearTimeout(timer);
  }
}

function toQuoted(parentId: string, item: z.infer<typeof MessageItem> | undefined, ctx: ParentContext): QuotedMessage | undefined {
  if (!item) return undefined;
  const mentions = (item.mentions ?? []).map((m) => ({ key: m.key, ...(m.name ? { name: m.name } : {}), ...(m.id ? { id: { open_id: m.id } } : {}) }));
  const body = item.body ? readContent(item.msg_type, item.body.content, mentions, ctx.botOpenId) : { skip: "no body" };
  const text = "skip" in body ? "" : body.text;
  const fromBot = ctx.sentByBot(parentId) || (item.sender?.sender_type === "app" && item.sender.id === ctx.appId);
  return fromBot ? { text, fromBot } : { text };
}
