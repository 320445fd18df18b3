// PATCH and DELETE /channels/:id/messages/:id of the fake Discord: the bot
// edits or deletes its own messages. The message-edit route has Discord's
// per-channel bucket (5 requests per 5 s); the sixth answers 429 with
// retry_after and the rate-limit headers, as Discord does. Editing someone
// else's message is 403 (50005), an unknown message 404 (10008).
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { SentMessage } from "./rest.ts";

export interface DiscordEdit {
  channelId: string;
  messageId: string;
  content: string;
  /** Date.now() when the fake accepted it */
  at: number;
}

const EditBody = z.looseObject({ content: z.string().max(2000, "Must be 2000 or fewer in length.").optional() });

type Json = (res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>) => void;

export class DiscordEditBook {
  readonly edits: DiscordEdit[] = [];
  readonly deleted: string[] = [];
  /** edits refused with 429 */
  rateLimited = 0;
  /** the bucket: at most `bucketSize` edits per channel in any `bucketMs` */
  bucketSize = 5;
  bucketMs = 5000;
  private readonly recent = new Map<string, number[]>();

  async handle(method: string, channelId: string, messageId: string, req: IncomingMessage, res: ServerResponse, sent: SentMessage[], json: Json): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const msg = sent.find((m) => m.channelId === channelId && m.messageId === messageId && !m.deleted);
    if (!msg) return json(res, 404, { message: "Unknown Message", code: 10008 });
    if (method === "DELETE") {
      msg.deleted = true;
      this.deleted.push(messageId);
      res.writeHead(204);
      res.end();
      return;
    }
    const now = Date.now();
    const times = (this.recent.get(channelId) ?? []).filter((t) => now - t < this.bucketMs);
    if (times.length >= this.bucketSize) {
      this.rateLimited++;
      const retry = (this.bucketMs - (now - times[0]!)) / 1000;
      return json(res, 429, { message: "You are being rate limited.", retry_after: retry, global: false }, {
        "retry-after": String(Math.ceil(retry)),
        "x-ratelimit-limit": String(this.bucketSize),
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset-after": retry.toFixed(3),
        "x-ratelimit-bucket": "fakeeditbucket",
        "x-ratelimit-scope": "user",
      });
    }
    let body: z.infer<typeof EditBody>;
    try {
      const parsed = EditBody.safeParse(JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}"));
      if (!parsed.success) return json(res, 400, { message: "Invalid Form Body", code: 50035, errors: z.treeifyError(parsed.error) });
      body = parsed.data;
    } catch {
      return json(res, 400, { message: "400: Bad Request", code: 50109 });
    }
    times.push(now);
    this.recent.set(channelId, times);
    if (body.content !== undefined) msg.body.content = body.content;
    this.edits.push({ channelId, messageId, content: msg.body.content ?? "", at: now });
    json(res, 200, { id: messageId, channel_id: channelId, content: msg.body.content ?? "", edited_timestamp: new Date(now).toISOString() }, {
      "x-ratelimit-limit": String(this.bucketSize),
      "x-ratelimit-remaining": String(this.bucketSize - times.length),
      "x-ratelimit-reset-after": "5.000",
      "x-ratelimit-bucket": "fakeeditbucket",
    });
  }
}
