// Wire helpers of the fake Bot API: error answers, request parameters (JSON,
// form, multipart, query) and a minimal check of Telegram's HTML parse_mode.
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";

export class ApiError extends Error {
  readonly code: number;
  readonly parameters: Record<string, unknown> | undefined;
  constructor(code: number, description: string, parameters?: Record<string, unknown>) {
    super(description);
    this.code = code;
    this.parameters = parameters;
  }
}

export const bad = (what: string) => new ApiError(400, `Bad Request: ${what}`);

/** request parameters of the methods the fake checks, with Telegram's own error wording */
export const chatIdField = z.union([z.coerce.number().int(), z.string().regex(/^@\w+$/)], { error: "chat_id is empty" });
const threadField = z.coerce.number().int().optional();
export const GetUpdatesParams = z.object({
  offset: z.coerce.number().int().optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
  timeout: z.coerce.number().min(0).optional(),
  allowed_updates: z.array(z.string()).optional(),
});
export const SendMessageParams = z.object({
  chat_id: chatIdField,
  text: z.string({ error: "message text is empty" }).min(1, "message text is empty"),
  parse_mode: z.string().optional(),
  message_thread_id: threadField,
  reply_parameters: z.object({ message_id: z.number().int(), allow_sending_without_reply: z.boolean().optional() }).optional(),
});
export const ChatActionParams = z.object({ chat_id: chatIdField, action: z.string(), message_thread_id: threadField });
export const SetWebhookParams = z.object({
  url: z.string(),
  secret_token: z.string().regex(/^[A-Za-z0-9_-]{1,256}$/, "secret token contains unallowed characters").optional(),
  allowed_updates: z.array(z.string()).optional(),
  drop_pending_updates: z.union([z.boolean(), z.enum(["true", "false"])]).optional(),
});

const HTML_TAGS = new Set(["b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre", "blockquote", "tg-emoji"]);

export function check<T>(schema: z.ZodType<T>, params: Record<string, unknown>): T {
  const r = schema.safeParse(params);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  // schema messages written in Telegram's words start lower-case; zod's own do not
  throw bad(/^[a-z]/.test(issue.message) ? issue.message : `field "${issue.path.join(".")}" is invalid`);
}

/** Telegram's HTML parse_mode, minimally: known tags only, properly nested. Returns the visible text. */
export function parseTelegramHtml(text: string): string {
  const stack: string[] = [];
  let visible = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const at = () => Buffer.byteLength(text.slice(0, i));
    if (ch === "<") {
      const end = text.indexOf(">", i);
      if (end < 0) throw bad(`can't parse entities: Unclosed start tag at byte offset ${at()}`);
      const m = /^(\/?)([a-zA-Z][\w-]*)(\s[^]*)?$/.exec(text.slice(i + 1, end));
      if (!m) throw bad(`can't parse entities: Unsupported start tag "${text.slice(i + 1, end)}" at byte offset ${at()}`);
      const name = m[2]!.toLowerCase();
      if (!HTML_TAGS.has(name)) throw bad(`can't parse entities: Unsupported ${m[1] ? "end" : "start"} tag "${name}" at byte offset ${at()}`);
      if (!m[1]) stack.push(name);
      else if (stack.length === 0) throw bad(`can't parse entities: Unexpected end tag at byte offset ${at()}`);
      else if (stack[stack.length - 1] !== name) throw bad(`can't parse entities: Can't find end tag corresponding to start tag "${stack[stack.length - 1]}"`);
      else stack.pop();
      i = end;
    } else if (ch === "&") {
      const ent = /^&(lt|gt|amp|quot|#\d+|#x[0-9a-f]+);/i.exec(text.slice(i));
      visible += ent ? "_" : "&";
      if (ent) i += ent[0].length - 1;
    } else visible += ch;
  }
  if (stack.length) throw bad(`can't parse entities: Can't find end tag corresponding to start tag "${stack[stack.length - 1]}"`);
  return visible;
}

export function parseMultipart(body: Buffer, contentType: string): Record<string, unknown> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!boundary) throw bad("multipart body without boundary");
  const delim = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const out: Record<string, unknown> = {};
  let pos = body.indexOf(delim);
  while (pos >= 0) {
    const start = pos + delim.length;
    if (body.subarray(start, start + 2).toString() === "--") break;
    const next = body.indexOf(delim, start);
    if (next < 0) break;
    const part = body.subarray(start + 2, next - 2); // skip CRLF after the delimiter and before the next
    const split = part.indexOf("\r\n\r\n");
    const head = part.subarray(0, split).toString();
    const content = part.subarray(split + 4);
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    const filename = /filename=(?:"([^"]*)"|([^;\r\n]+))/i.exec(head);
    const type = /^content-type:\s*([^\r\n]+)/im.exec(head)?.[1]?.trim();
    if (name !== undefined) out[name] = filename ? { filename: filename[1] ?? filename[2], data: Buffer.from(content), ...(type ? { contentType: type } : {}) } : content.toString();
    pos = next;
  }
  return out;
}

/** form and multipart fields arrive as strings; JSON-looking ones are objects in Telegram's eyes */
export function decodeFields(fields: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === "string" && /^[[{]/.test(v.trim())) {
      try {
        fields[k] = JSON.parse(v);
      } catch {
        /* stays a string */
      }
    }
    if (v === "true" || v === "false") fields[k] = v === "true";
  }
  return fields;
}

export async function readParams(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks);
  if (!body.length) return {};
  const type = req.headers["content-type"] ?? "";
  if (type.startsWith("application/json")) {
    const v: unknown = JSON.parse(body.toString());
    if (!v || typeof v !== "object" || Array.isArray(v)) throw bad("request body must be a JSON object");
    return v as Record<string, unknown>;
  }
  if (type.startsWith("multipart/form-data")) return decodeFields(parseMultipart(body, type));
  if (type.startsWith("application/x-www-form-urlencoded")) return decodeFields(Object.fromEntries(new URLSearchParams(body.toString())));
  throw bad("unsupported content type");
}

export function reply(res: ServerResponse, err: ApiError | undefined, result?: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  const body = err
    ? { ok: false, error_code: err.code, description: err.message, ...(err.parameters ? { parameters: err.parameters } : {}) }
    : { ok: true, result };
  const text = JSON.stringify(body);
  res.writeHead(err ? err.code : 200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
