// PUT and DELETE /open-apis/im/v1/messages/:message_id of the fake Lark: the
// bot edits (text and post messages only, at most 20 edits per message,
// answered with 230072 after that, as Feishu does) or recalls its own
// messages. A recalled message answers 230011, an unknown one 231003.
import { z } from "zod";
import { sentText } from "./events.ts";
import type { SentMessage } from "./rest.ts";

export interface LarkEdit {
  messageId: string;
  msgType: string;
  text: string;
  at: number;
}

const EditBody = z.object({ msg_type: z.string().min(1), content: z.string().min(1) });

/** the answer the route gives: HTTP status and Feishu's {code, msg, data} */
export interface LarkAnswer {
  status: number;
  body: { code: number; msg: string; data?: unknown };
}

export class LarkEditBook {
  readonly edits: LarkEdit[] = [];
  /** Feishu's cap on edits of one message */
  maxEdits = 20;
  private readonly counts = new Map<string, number>();

  edit(messageId: string, raw: unknown, sent: SentMessage[], recalled: Set<string>): LarkAnswer {
    const msg = sent.find((m) => m.messageId === messageId);
    if (recalled.has(messageId)) return { status: 400, body: { code: 230011, msg: "The message is recalled." } };
    if (!msg) return { status: 400, body: { code: 231003, msg: "The message is not found, maybe not exist or deleted." } };
    const body = EditBody.safeParse(raw);
    if (!body.success) return { status: 400, body: { code: 230001, msg: "Your request contains an invalid request parameter." } };
    if (!["text", "post"].includes(msg.msgType) || !["text", "post"].includes(body.data.msg_type)) {
      return { status: 400, body: { code: 230001, msg: "Your request contains an invalid request parameter: only text and post messages can be edited" } };
    }
    const count = this.counts.get(messageId) ?? 0;
    if (count >= this.maxEdits) return { status: 400, body: { code: 230072, msg: "The message has reached the number of times it can be edited." } };
    let content: unknown;
    try {
      content = JSON.parse(body.data.content);
    } catch {
      return { status: 400, body: { code: 230001, msg: "Your request contains an invalid request parameter: content is not JSON" } };
    }
    this.counts.set(messageId, count + 1);
    msg.msgType = body.data.msg_type;
    msg.content = content;
    msg.text = sentText(body.data.msg_type, content);
    this.edits.push({ messageId, msgType: msg.msgType, text: msg.text, at: Date.now() });
    return { status: 200, body: { code: 0, msg: "success", data: {} } };
  }

  recall(messageId: string, sent: SentMessage[], recalled: Set<string>): LarkAnswer {
    if (recalled.has(messageId)) return { status: 400, body: { code: 230011, msg: "The message is recalled." } };
    if (!sent.some((m) => m.messageId === messageId)) return { status: 400, body: { code: 231003, msg: "The message is not found, maybe not exist or deleted." } };
    recalled.add(messageId);
    return { status: 200, body: { code: 0, msg: "success", data: {} } };
  }
}
