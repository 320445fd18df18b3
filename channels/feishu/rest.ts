// The open-platform REST API over fetch: JSON calls with the tenant token
// (fetched again and the call tried once more when Feishu says the token is
// invalid or expired), and resource downloads with a size cap. Every failure
// becomes a FeishuApiError carrying the HTTP status, Feishu's code and, for
// rate limits, how long to wait.
import type { z } from "zod";
import type { Logger } from "../../src/core/logger.ts";
import { FeishuApiError, scrub, TOKEN_CODES } from "./errors.ts";
import { causeText, type FetchLike, type TenantTokenSource } from "./token.ts";

export interface RestOptions {
  apiBase: string;
  tokens: TenantTokenSource;
  fetch: FetchLike;
  logger: Logger;
  timeoutMs?: number;
}

interface Answer {
  status: number;
  headers: Headers;
  code: number | undefined;
  msg: string;
  body: unknown;
}

export class FeishuRest {
  private readonly opts: RestOptions;

  constructor(opts: RestOptions) {
    this.opts = opts;
  }

  /**
   * One JSON call. `schema` checks the whole answer ({code, msg, data} or, for
   * bot/v3/info, {code, msg, bot}); `what` says what the call was for, in
   * errors ("send a message to oc_..."). A FormData body goes as multipart (uploads).
   */
  async call<S extends z.ZodType>(method: "GET" | "POST" | "PUT" | "DELETE", path: string, schema: S, what: string, body?: unknown): Promise<z.output<S>> {
    for (let attempt = 1; ; attempt++) {
      const token = await this.opts.tokens.get();
      const res = await this.request(method, path, token, what, body);
      const answer = await this.read(res);
      if (answer.code !== undefined && TOKEN_CODES.has(answer.code) && attempt === 1) {
        this.opts.logger.info({ code: answer.code, what }, "Feishu refused the tenant_access_token; fetching a new one and trying again");
        this.opts.tokens.invalidate(token);
        continue;
      }
      if (!res.ok || answer.code !== 0) throw this.failure(answer, what);
      const parsed = schema.safeParse(answer.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new FeishuApiError(`Feishu answered "${what}" with an unexpected body (${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"})`, {
          status: res.status,
        });
      }
      return parsed.data;
    }
  }

  /** GET a file; refuses more than `maxBytes` without reading it all */
  async download(path: string, what: string, maxBytes: number): Promise<{ data: Buffer; contentType: string | undefined }> {
    for (let attempt = 1; ; attempt++) {
      const token = await this.opts.tokens.get();
      const res = await this.request("GET", path, token, what);
      const type = res.headers.get("content-type") ?? undefined;
      if (!res.ok || type?.startsWith("application/json")) {
        const answer = await this.read(res);
        if (answer.code !== undefined && TOKEN_CODES.has(answer.code) && attempt === 1) {
          this.opts.tokens.invalidate(token);
          continue;
        }
        throw this.failure(answer, what);
      }
      const declared = Number(res.headers.get("content-length"));
      if (declared > maxBytes) {
        await res.body?.cancel().catch(() => undefined);
        throw new FeishuApiError(`Feishu: could not ${what}: the file has ${declared} bytes, more than the ${maxBytes} allowed`, { status: res.status });
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body ?? []) {
        size += chunk.length;
        if (size > maxBytes) {
          await res.body?.cancel().catch(() => undefined);
          throw new FeishuApiError(`Feishu: could not ${what}: the file is larger than the ${maxBytes} bytes allowed`, { status: res.status });
        }
        chunks.push(Buffer.from(chunk));
      }
      return { data: Buffer.concat(chunks), contentType: type };
    }
  }

  private async request(method: string, path: string, token: string, what: string, body?: unknown): Promise<Response> {
    const url = `${this.opts.apiBase}${path}`;
    try {
      return await this.opts.fetch(url, {
        method,
        // a FormData body (file uploads) sets its own multipart content type and boundary
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined && !(body instanceof FormData) ? { "content-type": "application/json; charset=utf-8" } : {}),
        },
        ...(body !== undefined ? { body: body instanceof FormData ? body : JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
      });
    } catch (err) {
      const why = err instanceof Error ? (err.name === "TimeoutError" ? "timed out" : causeText(err)) : String(err);
      throw new FeishuApiError(`Feishu: could not ${what}: ${scrub(why, this.opts.tokens.secrets())} (check the network and channels.feishu.api_base)`, { status: 0 });
    }
  }

  private async read(res: Response): Promise<Answer> {
    const text = await res.text().catch(() => "");
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const o = typeof body === "object" && body !== null ? (body as { code?: unknown; msg?: unknown }) : {};
    return {
      status: res.status,
      headers: res.headers,
      code: typeof o.code === "number" ? o.code : undefined,
      msg: typeof o.msg === "string" ? scrub(o.msg, this.opts.tokens.secrets()) : "",
      body,
    };
  }

  private failure(a: Answer, what: string): FeishuApiError {
    const reset = Number(a.headers.get("x-ogw-ratelimit-reset") ?? a.headers.get("retry-after"));
    const detail = `HTTP ${a.status}${a.code !== undefined ? `, code ${a.code}` : ""}`;
    return new FeishuApiError(`Feishu: could not ${what}${a.msg ? `: ${a.msg}` : ""} (${detail})`, {
      status: a.status,
      ...(a.code !== undefined ? { code: a.code } : {}),
      platformMessage: a.msg,
      ...(reset > 0 ? { retryAfterMs: reset * 1000 } : {}),
    });
  }
}
