// The fake's open-platform REST API: tenant_access_token, bot info, send and
// reply, file and image uploads (uploads.ts), resource download, and the
// long-connection endpoint. Bodies are
// checked with zod the way Feishu checks them; answers have Feishu's shapes
// ({code, msg, data}) and its failure codes.
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { newId, sentText } from "./events.ts";
import type { FakeLark } from "./server.ts";

export interface SentMessage {
  messageId: string;
  /** the chat it landed in (oc_...) */
  chatId: string;
  receiveId?: string;
  receiveIdType?: string;
  /** the message this one replies to */
  replyTo?: string;
  replyInThread?: boolean;
  msgType: string;
  content: unknown;
  /** the words: text content, or the flattened post */
  text: string;
}

/** one planned failure of a send or reply */
export interface SendFailure {
  status: number;
  code: number;
  msg?: string;
  /** x-ogw-ratelimit-reset, seconds */
  resetSeconds?: number;
  /** only for posts (msg_type "post") */
  onlyPost?: boolean;
}

export const TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal";

const TokenRequest = z.object({ app_id: z.string(), app_secret: z.string() });
const SendBody = z.object({
  receive_id: z.string().min(1),
  msg_type: z.string().min(1),
  content: z.string().min(1),
  uuid: z.string().optional(),
});
const ReplyBody = z.object({ msg_type: z.string().min(1), content: z.string().min(1), reply_in_thread: z.boolean().optional(), uuid: z.string().optional() });
const EndpointRequest = z.object({ AppID: z.string(), AppSecret: z.string() });

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString() || "null");
  } catch {
    return undefined;
  }
}

const INVALID_TOKEN = { code: 99991663, msg: "Invalid access token for authorization. Please make a request with token attached." };

export async function handleRest(fake: FakeLark, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", fake.baseUrl);
  const path = url.pathname;
  const auth = req.headers.authorization;
  fake.requests.push({ method: req.method ?? "GET", path: `${path}${url.search}`, ...(auth ? { authorization: auth } : {}) });

  if (req.method === "POST" && path === TOKEN_PATH) {
    fake.tokenRequests++;
    const body = TokenRequest.safeParse(await readBody(req));
    if (!body.success) return json(res, 400, { code: 10003, msg: "invalid param" });
    if (body.data.app_id !== fake.appId) return json(res, 400, { code: 10003, msg: "invalid param: app_id" });
    if (body.data.app_secret !== fake.appSecret) return json(res, 400, { code: 10014, msg: "app secret invalid" });
    return json(res, 200, { code: 0, msg: "ok", tenant_access_token: fake.issueToken(), expire: fake.tokenTtlSeconds });
  }

  if (req.method === "POST" && path === "/callback/ws/endpoint") {
    const body = EndpointRequest.safeParse(await readBody(req));
    if (!body.success || body.data.AppID !== fake.appId || body.data.AppSecret !== fake.appSecret) {
      return json(res, 200, { code: 514, msg: "auth failed", data: {} });
    }
    const refusal = fake.longConn.endpointRefusal;
    if (refusal) return json(res, 200, { code: refusal.code, msg: refusal.msg, data: {} });
    return json(res, 200, { code: 0, msg: "ok", data: { URL: fake.longConn.issueUrl(), ClientConfig: fake.longConn.clientConfig() } });
  }

  // everything else needs a valid tenant token
  const token = auth?.replace(/^Bearer\s+/i, "");
  if (!token || !fake.tokenValid(token)) return json(res, 400, INVALID_TOKEN);
  if (fake.consumeInvalidToken()) return json(res, 400, INVALID_TOKEN);

  if (req.method === "GET" && path === "/open-apis/bot/v3/info") {
    return json(res, 200, {
      code: 0,
      msg: "ok",
      bot: { activate_status: 2, app_name: fake.botName, avatar_url: "https://example.invalid/a.png", ip_white_list: [], open_id: fake.botOpenId },
    });
  }

  if (req.method === "POST" && path === "/open-apis/im/v1/messages") {
    const body = SendBody.safeParse(await readBody(req));
    const type = url.searchParams.get("receive_id_type");
    if (!type || !["chat_id", "open_id", "union_id", "user_id", "email"].includes(type)) {
      return json(res, 400, { code: 99992402, msg: "field validation failed: receive_id_type" });
    }
    if (!body.success) return json(res, 400, { code: 230001, msg: "Your request contains an invalid request parameter." });
    const chatId = type === "chat_id" ? body.data.receive_id : fake.chatForUser(body.data.receive_id);
    if (!chatId) return json(res, 400, { code: 230013, msg: "Bot has NO availability to this user." });
    return record(fake, res, { chatId, receiveId: body.data.receive_id, receiveIdType: type, msgType: body.data.msg_type, rawContent: body.data.content });
  }

  if (req.method === "POST" && (path === "/open-apis/im/v1/files" || path === "/open-apis/im/v1/images")) {
    return fake.uploads.handle(path.endsWith("/files") ? "files" : "images", req, res);
  }

  const reply = /^\/open-apis\/im\/v1\/messages\/([^/]+)\/reply$/.exec(path);
  if (req.method === "POST" && reply) {
    const target = decodeURIComponent(reply[1]!);
    const body = ReplyBody.safeParse(await readBody(req));
    if (!body.success) return json(res, 400, { code: 230001, msg: "Your request contains an invalid request parameter." });
    if (fake.recalled.has(target)) return json(res, 400, { code: 230011, msg: "The message is recalled." });
    const chatId = fake.chatOfMessage(target);
    if (!chatId) return json(res, 400, { code: 231003, msg: "The message is not found, maybe not exist or deleted." });
    return record(fake, res, {
      chatId,
      replyTo: target,
      ...(body.data.reply_in_thread ? { replyInThread: true } : {}),
      msgType: body.data.msg_type,
      rawContent: body.data.content,
    });
  }

  const single = /^\/open-apis\/im\/v1\/messages\/([^/]+)$/.exec(path);
  if (req.method === "GET" && single) {
    const id = decodeURIComponent(single[1]!);
    const body = fake.messageBody(id);
    if (!body) return json(res, 400, { code: 230110, msg: "Action unavailable as the message has been deleted." });
    const now = String(Date.now());
    return json(res, 200, {
      code: 0,
      msg: "success",
      data: {
        items: [{ message_id: id, msg_type: body.msgType, create_time: now, update_time: now, deleted: false, updated: false, chat_id: fake.chatOfMessage(id), sender: { ...body.sender, tenant_key: fake.tenantKey }, body: { content: body.content }, ...(body.mentions?.length ? { mentions: body.mentions.map((m) => ({ ...m, tenant_key: fake.tenantKey })) } : {}) }],
      },
    });
  }
  if (single && (req.method === "PUT" || req.method === "DELETE")) {
    const id = decodeURIComponent(single[1]!);
    const answer = req.method === "PUT" ? fake.editBook.edit(id, await readBody(req), fake.sent, fake.recalled) : fake.editBook.recall(id, fake.sent, fake.recalled);
    return json(res, answer.status, answer.body);
  }

  const resource = /^\/open-apis\/im\/v1\/messages\/([^/]+)\/resources\/([^/]+)$/.exec(path);
  if (req.method === "GET" && resource) {
    const item = fake.resource(decodeURIComponent(resource[1]!), decodeURIComponent(resource[2]!));
    const type = url.searchParams.get("type");
    if (type !== "image" && type !== "file") return json(res, 400, { code: 234001, msg: "Invalid request param: type" });
    if (!item || item.type !== type) return json(res, 400, { code: 234003, msg: "File not in msg." });
    res.writeHead(200, { "content-type": item.contentType, "content-length": String(item.data.length) });
    res.end(item.data);
    return;
  }

  json(res, 404, { code: 404, msg: `the fake Lark has no ${req.method} ${path}` });
}

function record(
  fake: FakeLark,
  res: ServerResponse,
  m: { chatId: string; msgType: string; rawContent: string; receiveId?: string; receiveIdType?: string; replyTo?: string; replyInThread?: boolean },
): void {
  fake.sendRequests++;
  const failure = fake.nextSendFailure(m.msgType);
  if (failure) {
    const headers: Record<string, string> = failure.resetSeconds !== undefined ? { "x-ogw-ratelimit-reset": String(failure.resetSeconds) } : {};
    return json(res, failure.status, { code: failure.code, msg: failure.msg ?? "refused by the fake" }, headers);
  }
  let content: unknown;
  try {
    content = JSON.parse(m.rawContent);
  } catch {
    return json(res, 400, { code: 230001, msg: "Your request contains an invalid request parameter: content is not JSON" });
  }
  if (!["text", "post", "image", "file", "audio", "media", "interactive", "share_chat", "share_user", "sticker"].includes(m.msgType)) {
    return json(res, 400, { code: 230001, msg: `invalid msg_type ${m.msgType}` });
  }
  const badKey = fake.uploads.checkContent(m.msgType, content);
  if (badKey) return json(res, 400, { code: 230001, msg: `Your request contains an invalid request parameter: ${badKey}` });
  const messageId = newId("om_");
  const { rawContent: _raw, ...rest } = m;
  const sent: SentMessage = { messageId, ...rest, content, text: sentText(m.msgType, content) };
  fake.sent.push(sent);
  fake.rememberMessage(messageId, m.chatId, { msgType: m.msgType, content: m.rawContent, sender: { id: fake.appId, id_type: "app_id", sender_type: "app" } });
  const now = String(Date.now());
  json(res, 200, {
    code: 0,
    msg: "success",
    data: {
      message_id: messageId,
      ...(m.replyTo ? { root_id: m.replyTo, parent_id: m.replyTo } : {}),
      msg_type: m.msgType,
      create_time: now,
      update_time: now,
      deleted: false,
      updated: false,
      chat_id: m.chatId,
      sender: { id: fake.appId, id_type: "app_id", sender_type: "app", tenant_key: fake.tenantKey },
      body: { content: m.rawContent },
    },
  });
}
