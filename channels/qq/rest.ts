// QQ's OpenAPI over plain fetch: `Authorization: QQBot <access_token>` and
// `X-Union-Appid` on every call, answers validated with zod, failures turned
// into QqApiError. A 401 (or a body code saying the token is bad) makes it
// fetch a new token and try exactly once more; nothing else is retried here
// (the outbox owns retries, so a message is never posted twice by this
// layer).
import type { z } from "zod";
import type { Logger } from "../../src/core/logger.ts";
import { QqApiError, TOKEN_CODES, scrub } from "./errors.ts";
import type { AccessTokenSource, FetchLike } from "./token.ts";

export interface RestOptions {
  apiBase: string;
  appId: string;
  tokens: AccessTokenSource;
  fetch: FetchLike;
  logger: Logger;
  /** per request; QQ asks for at least 5 s on sends. Default 15 s */
  timeoutMs?: number;
}

interface Answer {
  status: number;
  body: unknown;
  retryAfterMs: number | undefined;
  traceId: string | null;
}

function bodyCode(body: unknown): { code?: number; message?: string } {
  if (typeof body !== "object" || body === null) return {};
  const b = body as { code?: unknown; message?: unknown; err_code?: unknown };
  const raw = b.code ?? b.err_code;
  const code = typeof raw === "number" ? raw : typeof raw === "string" && /^\d+$/.test(raw) ? Number(raw) : undefined;
  return { ...(code !== undefined ? { code } : {}), ...(typeof b.message === "string" ? { message: b.message } : {}) };
}

function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export class QqRest {
  private readonly opts: RestOptions;

  constructor(opts: RestOptions) {
    this.opts = opts;
  }

  /** GET/POST `path` (starting with /) and validate the answer; `what` words the errors ("send a message to ...") */
  async call<T>(method: "GET" | "POST", path: string, schema: z.ZodType<T>, what: string, body?: unknown): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const token = await this.opts.tokens.get();
      const answer = await this.send(method, path, token, what, body);
      const { code, message } = bodyCode(answer.body);
      const tokenBad = answer.status === 401 || (code !== undefined && TOKEN_CODES.has(code));
      if (tokenBad && attempt === 1) {
        this.opts.logger.info({ status: answer.status, code }, "QQ access token no longer accepted; fetching a new one");
        this.opts.tokens.invalidate(token);
        continue;
      }
      const said = message ? this.scrub(message) : "";
      if (answer.status >= 200 && answer.status < 300) {
        const parsed = schema.safeParse(answer.body);
        if (parsed.success) return parsed.data;
        if (code !== undefined && code !== 0) {
          throw new QqApiError(`QQ refused to ${what}: ${said} (code ${code})`, { status: answer.status, code, platformMessage: said });
        }
        throw new QqApiError(`QQ answered an unexpected body while trying to ${what} (HTTP ${answer.status})`, {
          status: answer.status,
          ambiguous: true,
        });
      }
      if (answer.status >= 400) {
        this.opts.logger.debug({ status: answer.status, code, traceId: answer.traceId, path }, "QQ API call failed");
      }
      throw new QqApiError(`QQ refused to ${what}: ${said ? `${said} ` : ""}(HTTP ${answer.status}${code !== undefined ? `, code ${code}` : ""})`, {
        status: answer.status,
        ...(code !== undefined ? { code } : {}),
        platformMessage: said,
        ...(answer.retryAfterMs !== undefined ? { retryAfterMs: answer.retryAfterMs } : {}),
        ambiguous: answer.status >= 500,
      });
    }
  }

  private async send(method: string, path: string, token: string, what: string, body: unknown): Promise<Answer> {
    const url = `${this.opts.apiBase}${path}`;
    let res: Response;
    try {
      res = await this.opts.fetch(url, {
        method,
        headers: {
          authorization: `QQBot ${token}`,
          "x-union-appid": this.opts.appId,
          accept: "application/json",
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
      });
    } catch (err) {
      const why = err instanceof Error ? (err.name === "TimeoutError" ? "timed out" : (err.cause as Error | undefined)?.message ?? err.message) : String(err);
      throw new QqApiError(`QQ could not ${what}: ${this.scrub(why)} (${this.opts.apiBase})`, { status: 0, ambiguous: true });
    }
    const text = await res.text().catch(() => "");
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: res.status, body: parsed, retryAfterMs: retryAfter(res.headers.get("retry-after")), traceId: res.headers.get("x-tps-trace-id") };
  }

  scrub(text: string): string {
    return scrub(text, this.opts.tokens.secrets());
  }
}
