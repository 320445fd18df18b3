// The fake QQ's HTTP side: the token endpoint, GET /gateway(/bot), message
// POSTs for users and groups (passive replies checked like QQ: msg_id known
// for that chat, msg_id + msg_seq unique), rich-media uploads, and
// attachment downloads. Bodies are validated with zod; failures answer
// {code, message} as QQ does.
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { FakeQq } from "./server.ts";

export interface SentMessage {
  kind: "user" | "group";
  /** user openid or group openid */
  target: string;
  content: string;
  msgType: number;
  msgId?: string;
  msgSeq?: number;
  media?: { file_info: string };
  /** the id QQ answered with */
  id: string;
}

export interface Upload {
  kind: "user" | "group";
  target: string;
  fileType: number;
  url?: string;
  fileData?: string;
  fileInfo: string;
}

export interface SendFailure {
  status: number;
  code?: number;
  message?: string;
  /** Retry-After header, seconds */
  retryAfter?: number;
  /** deliver the message, then cut the connection instead of answering (an ambiguous failure) */
  afterDelivery?: boolean;
}

const TokenRequest = z.object({ appId: z.string(), clientSecret: z.string() });
const MessageBody = z.object({
  content: z.string().optional(),
  msg_type: z.number().int(),
  msg_id: z.string().optional(),
  msg_seq: z.number().int().positive().optional(),
  event_id: z.string().optional(),
  media: z.object({ file_info: z.string() }).optional(),
});
const FileBody = z.object({
  file_type: z.number().int().min(1).max(4),
  url: z.string().optional(),
  file_data: z.string().optional(),
  srv_send_msg: z.boolean(),
});

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return Symbol("bad json");
  }
}

export async function handleRest(fake: FakeQq, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://fake");
  const path = url.pathname;
  const method = req.method ?? "GET";
  const auth = req.headers.authorization;
  fake.requests.push({ method, path, ...(auth ? { authorization: auth } : {}), appid: String(req.headers["x-union-appid"] ?? "") });

  if (method === "GET" && path.startsWith("/media/")) {
    const file = fake.mediaAt(path);
    if (!file) return json(res, 404, { code: 404, message: "no such file" });
    res.writeHead(200, { "content-type": file.contentType, "content-length": String(file.data.length) });
    res.end(file.data);
    return;
  }

  if (method === "POST" && path === "/app/getAppAccessToken") {
    const body = TokenRequest.safeParse(await readBody(req));
    fake.tokenRequests++;
    if (!body.success || body.data.appId !== fake.appId || body.data.clientSecret !== fake.appSecret) {
      return json(res, 200, { code: 100016, message: "invalid appid or secret" });
    }
    const token = fake.issueToken();
    return json(res, 200, { access_token: token, expires_in: String(fake.tokenTtlSeconds) });
  }

  const token = auth?.startsWith("QQBot ") ? auth.slice(6) : undefined;
  if (!token || !fake.tokenValid(token)) return json(res, 401, { code: 11244, message: "token not exist or expire" });

  if (method === "GET" && (path === "/gateway" || path === "/gateway/bot")) {
    const base = { url: fake.gatewayUrl };
    if (path === "/gateway") return json(res, 200, base);
    return json(res, 200, { ...base, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 } });
  }

  const route = /^\/v2\/(users|groups)\/([^/]+)\/(messages|files)$/.exec(path);
  if (method === "POST" && route) {
    const kind = route[1] === "users" ? "user" : "group";
    const target = decodeURIComponent(route[2]!);
    const raw = await readBody(req);
    if (route[3] === "files") return upload(fake, res, kind, target, raw);
    return message(fake, req, res, kind, target, raw);
  }
  json(res, 404, { code: 404, message: `fake QQ has no route ${method} ${path}` });
}

function upload(fake: FakeQq, res: ServerResponse, kind: "user" | "group", target: string, raw: unknown): void {
  const body = FileBody.safeParse(raw);
  if (!body.success || (!body.data.url && !body.data.file_data)) return json(res, 400, { code: 50035, message: "invalid file body" });
  // file_type 4 (generic files) is documented but not open to bots
  if (body.data.file_type === 4) return json(res, 400, { code: 850027, message: "file type not supported" });
  const fileInfo = `fileinfo-${randomBytes(6).toString("hex")}`;
  fake.uploads.push({
    kind,
    target,
    fileType: body.data.file_type,
    ...(body.data.url ? { url: body.data.url } : {}),
    ...(body.data.file_data ? { fileData: body.data.file_data } : {}),
    fileInfo,
  });
  json(res, 200, { file_uuid: randomBytes(8).toString("hex"), file_info: fileInfo, ttl: 3600 });
}

function message(fake: FakeQq, req: IncomingMessage, res: ServerResponse, kind: "user" | "group", target: string, raw: unknown): void {
  fake.messageRequests++;
  const parsed = MessageBody.safeParse(raw);
  if (!parsed.success) return json(res, 400, { code: 50035, message: "invalid message body" });
  const body = parsed.data;
  const failure = fake.takeSendFailure();
  if (failure && !failure.afterDelivery) {
    return json(res, failure.status, { code: failure.code ?? 0, message: failure.message ?? "fake failure" }, failure.retryAfter !== undefined ? { "retry-after": String(failure.retryAfter) } : {});
  }
  if (!body.msg_id) return json(res, 400, { code: 40034102, message: "proactive messages are not available to this bot" });
  const inbound = fake.inbound(body.msg_id);
  if (!inbound || inbound.kind !== kind || inbound.chatId !== target) return json(res, 400, { code: 40034024, message: "msg_id invalid for this chat" });
  const seq = body.msg_seq ?? 1;
  if (inbound.seqs.has(seq)) return json(res, 400, { code: 40054005, message: "msg_seq duplicated for this msg_id" });
  if (inbound.seqs.size >= fake.replyLimit) return json(res, 400, { code: 40034128, message: "passive reply limit reached for this message" });
  if (body.msg_type === 0 && !(body.content ?? "").trim()) return json(res, 400, { code: 50006, message: "empty message" });
  if (body.msg_type === 7 && !fake.uploads.some((u) => u.fileInfo === body.media?.file_info)) return json(res, 400, { code: 304082, message: "unknown file_info" });
  if (fake.refuseUrls && /https?:\/\/|\b[a-z0-9-]+\.(?:com|cn|org|net|io)\b/i.test(body.content ?? "")) {
    return json(res, 400, { code: 40054010, message: "url not allowed" });
  }
  inbound.seqs.add(seq);
  const id = `ROBOT1.0_sent_${randomBytes(6).toString("hex")}`;
  fake.sent.push({
    kind,
    target,
    content: body.content ?? "",
    msgType: body.msg_type,
    msgId: body.msg_id,
    msgSeq: seq,
    ...(body.media ? { media: body.media } : {}),
    id,
  });
  if (failure?.afterDelivery) {
    req.socket.destroy();
    return;
  }
  json(res, 200, { id, timestamp: new Date().toISOString() });
}
