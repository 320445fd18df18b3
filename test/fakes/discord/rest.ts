// REST v10 routes of the fake Discord: GET /gateway/bot, GET /users/@me,
// GET /channels/:id, GET /channels/:id/messages?after=&limit= (history),
// POST /channels/:id/messages (JSON or multipart with
// payload_json + files[n]), POST /channels/:id/typing, and CDN-style
// attachment downloads; application commands and interaction responses are
// interactions.ts. Authorization must be `Bot <token>` (401 otherwise);
// failures queued with failNextMessage() answer the next message POST the
// way Discord does (429 + Retry-After, 403 Missing Permissions, ...).
// Unknown routes answer 404 naming the route and are recorded.
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { FakeDiscord } from "./server.ts";

const CreateMessage = z.looseObject({
  content: z.string().max(2000, "Must be 2000 or fewer in length.").optional(),
  message_reference: z
    .looseObject({
      message_id: z.string(),
      channel_id: z.string().optional(),
      fail_if_not_exists: z.boolean().optional(),
    })
    .optional(),
  allowed_mentions: z
    .object({
      parse: z.array(z.enum(["users", "roles", "everyone"])).optional(),
      users: z.array(z.string()).optional(),
      roles: z.array(z.string()).optional(),
      replied_user: z.boolean().optional(),
    })
    .optional(),
  attachments: z
    .array(z.looseObject({ id: z.union([z.number(), z.string()]), filename: z.string().optional() }))
    .optional(),
});

export type CreateMessageBody = z.infer<typeof CreateMessage>;

export interface SentFile {
  field: string;
  name: string;
  contentType: string;
  data: Buffer;
}

export interface SentMessage {
  channelId: string;
  messageId: string;
  body: CreateMessageBody;
  files: SentFile[];
  /** what the client sent as Content-Type: application/json or multipart/form-data */
  contentType: string;
  /** the bot deleted it (DELETE /channels/:id/messages/:id); body.content follows edits */
  deleted?: boolean;
}

export type MessageFailure =
  | { status: 429; retryAfter: number; global?: boolean }
  | { status: 400 | 401 | 403 | 404 | 500 | 502; code?: number; message?: string };

const DEFAULT_FAILURES: Record<number, { code: number; message: string }> = {
  400: { code: 50035, message: "Invalid Form Body" },
  401: { code: 0, message: "401: Unauthorized" },
  403: { code: 50013, message: "Missing Permissions" },
  404: { code: 10003, message: "Unknown Channel" },
  500: { code: 0, message: "500: Internal Server Error" },
  502: { code: 0, message: "502: Bad Gateway" },
};

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** roomy bucket headers on every success, so discord.js never pre-emptively waits */
const BUCKET_HEADERS = {
  "x-ratelimit-limit": "50",
  "x-ratelimit-remaining": "49",
  "x-ratelimit-reset-after": "1.000",
  "x-ratelimit-bucket": "fakebucket0001",
};

export async function handleRest(fake: FakeDiscord, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? "GET";
  const url = new URL(req.url ?? "/", "http://fake");
  const path = url.pathname;
  fake.requests.push({ method, path });

  if (method === "GET" && path.startsWith("/attachments/")) {
    const file = fake.attachmentAt(path);
    if (!file) return json(res, 404, { message: "404: Not Found", code: 0 });
    res.writeHead(200, { "content-type": file.contentType, "content-length": file.data.length });
    res.end(file.data);
    return;
  }

  if (!path.startsWith("/api/v10/")) {
    fake.unknownRoutes.push(`${method} ${path}`);
    return json(res, 404, { message: `fake Discord: unknown route ${method} ${path}`, code: 0 });
  }
  const route = path.slice("/api/v10".length);

  if (method === "GET" && route === "/gateway") return json(res, 200, { url: fake.gatewayUrl });
  // application commands check the bot token themselves; interaction callbacks and webhooks use the interaction token
  if (await fake.interactions.route(method, route, req, res)) return;
  if (req.headers.authorization !== `Bot ${fake.token}`) {
    return json(res, 401, { message: "401: Unauthorized", code: 0 });
  }

  if (method === "GET" && route === "/gateway/bot") {
    return json(res, 200, {
      url: fake.gatewayUrl,
      shards: 1,
      session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
    });
  }
  if (method === "GET" && route === "/users/@me") return json(res, 200, fake.botUserPayload(), BUCKET_HEADERS);

  const messageRoute = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(route);
  if (messageRoute && (method === "PATCH" || method === "DELETE")) {
    return fake.editBook.handle(method, messageRoute[1]!, messageRoute[2]!, req, res, fake.sent, json);
  }

  const channelRoute = /^\/channels\/(\d+)(\/messages|\/typing)?$/.exec(route);
  if (channelRoute) {
    const channelId = channelRoute[1]!;
    const sub = channelRoute[2];
    const channel = fake.channel(channelId);
    if (method === "GET" && !sub) {
      return channel ? json(res, 200, channel, BUCKET_HEADERS) : json(res, 404, { message: "Unknown Channel", code: 10003 });
    }
    if (method === "POST" && sub === "/typing") {
      if (!channel) return json(res, 404, { message: "Unknown Channel", code: 10003 });
      fake.typing.push(channelId);
      res.writeHead(204, BUCKET_HEADERS);
      res.end();
      return;
    }
    if (method === "POST" && sub === "/messages") return createMessage(fake, channelId, req, res);
    if (method === "GET" && sub === "/messages") {
      if (!channel) return json(res, 404, { message: "Unknown Channel", code: 10003 });
      fake.historyRequests++;
      const limit = Math.min(100, Math.max(1, Number(url.searchParams.get("limit") ?? 50)));
      return json(res, 200, fake.messagesAfter(channelId, url.searchParams.get("after") ?? undefined, limit), BUCKET_HEADERS);
    }
  }

  fake.unknownRoutes.push(`${method} ${route}`);
  return json(res, 404, { message: `fake Discord: unknown route ${method} ${route}`, code: 0 });
}

async function createMessage(fake: FakeDiscord, channelId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  fake.messageRequests++;
  const raw = await readBody(req);
  const failure = fake.takeMessageFailure();
  if (failure) return fail(res, failure);
  if (!fake.channel(channelId)) return json(res, 404, { message: "Unknown Channel", code: 10003 });

  const contentType = req.headers["content-type"] ?? "";
  let payload: unknown;
  const files: SentFile[] = [];
  try {
    if (contentType.startsWith("multipart/form-data")) {
      const form = await new Response(raw, { headers: { "content-type": contentType } }).formData();
      for (const [field, value] of form.entries()) {
        if (field === "payload_json" && typeof value === "string") payload = JSON.parse(value);
        else if (typeof value !== "string") {
          files.push({ field, name: value.name, contentType: value.type, data: Buffer.from(await value.arrayBuffer()) });
        }
      }
    } else {
      payload = JSON.parse(raw.toString("utf8"));
    }
  } catch {
    return json(res, 400, { message: "400: Bad Request", code: 50109 });
  }
  const parsed = CreateMessage.safeParse(payload ?? {});
  if (!parsed.success) {
    return json(res, 400, { message: "Invalid Form Body", code: 50035, errors: z.treeifyError(parsed.error) });
  }
  const body = parsed.data;
  // Discord checks the upload size before anything else about the message
  if (files.reduce((n, f) => n + f.data.length, 0) > fake.uploadLimit) return json(res, 413, { message: "Request entity too large", code: 40005 });
  if (!body.content && files.length === 0) return json(res, 400, { message: "Cannot send an empty message", code: 50006 });
  const ref = body.message_reference;
  if (ref && ref.fail_if_not_exists !== false && !fake.knowsMessage(ref.message_id)) {
    return json(res, 400, { message: "Invalid Form Body", code: 50035, errors: { message_reference: "Unknown message" } });
  }
  const created = fake.recordBotMessage(channelId, body, files, contentType.split(";")[0]!);
  return json(res, 200, created, BUCKET_HEADERS);
}

function fail(res: ServerResponse, f: MessageFailure): void {
  if (f.status === 429) {
    return json(
      res,
      429,
      { message: "You are being rate limited.", retry_after: f.retryAfter, global: Boolean(f.global) },
      {
        "retry-after": String(f.retryAfter),
        "x-ratelimit-scope": f.global ? "global" : "user",
        ...(f.global ? { "x-ratelimit-global": "true" } : {}),
      },
    );
  }
  const d = DEFAULT_FAILURES[f.status]!;
  return json(res, f.status, { message: f.message ?? d.message, code: f.code ?? d.code });
}
