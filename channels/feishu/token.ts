// The tenant_access_token: POST {app_id, app_secret} to
// /open-apis/auth/v3/tenant_access_token/internal, get {code, msg,
// tenant_access_token, expire (seconds)}. It is fetched once, reused, and
// fetched again 5 minutes before it expires, or at once when the API says it
// is no longer valid (invalidate()). Concurrent callers share one request.
// Neither the secret nor the token is ever part of an error or a log line.
import { z } from "zod";
import type { Clock } from "../../src/core/clock.ts";
import type { Logger } from "../../src/core/logger.ts";
import { FeishuApiError, FeishuCredentialsRejected, scrub } from "./errors.ts";

export { FeishuCredentialsRejected } from "./errors.ts";

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export const TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal";
/** refresh this long before the token's end of life */
export const REFRESH_LEAD_MS = 5 * 60_000;
/** never plan a refresh sooner than this after fetching (a token that lives < 5 min) */
const MIN_LIFETIME_MS = 10_000;

const TokenReply = z.looseObject({
  code: z.number(),
  msg: z.string().optional(),
  tenant_access_token: z.string().optional(),
  expire: z.number().optional(),
});

export interface TokenSourceOptions {
  appId: string;
  appSecret: string;
  apiBase: string;
  clock: Clock;
  logger: Logger;
  fetch: FetchLike;
  timeoutMs?: number;
}


export class TenantTokenSource {
  private readonly opts: TokenSourceOptions;
  private token: string | undefined;
  /** when to fetch a new one (epoch ms, by the injected clock) */
  private refreshAt = 0;
  private inflight: Promise<string> | undefined;
  /** tokens fetched so far (for status and tests) */
  fetches = 0;

  constructor(opts: TokenSourceOptions) {
    this.opts = opts;
  }

  /** a token valid for at least the next five minutes */
  async get(): Promise<string> {
    if (this.token && this.opts.clock.now() < this.refreshAt) return this.token;
    return this.fetchOnce();
  }

  /** Forgets `token` when it is the current one, so the next get() fetches a new one. */
  invalidate(token: string): void {
    if (this.token === token) {
      this.token = undefined;
      this.refreshAt = 0;
    }
  }

  /** the secret and the current token, for scrubbing texts */
  secrets(): string[] {
    return [this.opts.appSecret, ...(this.token ? [this.token] : [])];
  }

  private fetchOnce(): Promise<string> {
    this.inflight ??= this.request().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async request(): Promise<string> {
    const { appId, appSecret, apiBase } = this.opts;
    const url = `${apiBase}${TOKEN_PATH}`;
    const started = this.opts.clock.now();
    let res: Response;
    try {
      res = await this.opts.fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8" },
        body: JSON.stringify({ app_id: appId, app_secret: appSecret }),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
      });
    } catch (err) {
      const why = err instanceof Error ? (err.name === "TimeoutError" ? "timed out" : causeText(err)) : String(err);
      throw new FeishuApiError(`Feishu tenant_access_token request to ${url} failed: ${scrub(why, [appSecret])} (check channels.feishu.api_base / domain and the network)`, {
        status: 0,
      });
    }
    const text = await res.text().catch(() => "");
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const reply = TokenReply.safeParse(body);
    if (reply.success && reply.data.code === 0 && reply.data.tenant_access_token && reply.data.expire !== undefined) {
      const lifetimeMs = reply.data.expire * 1000;
      this.token = reply.data.tenant_access_token;
      this.refreshAt = started + Math.max(lifetimeMs - REFRESH_LEAD_MS, Math.min(MIN_LIFETIME_MS, lifetimeMs));
      this.fetches++;
      this.opts.logger.debug({ expiresInSeconds: reply.data.expire }, "Feishu tenant_access_token fetched");
      return this.token;
    }
    const code = reply.success ? reply.data.code : undefined;
    const said = reply.success && reply.data.msg ? scrub(reply.data.msg, [appSecret]) : "";
    const detail = `${said ? `${said} ` : ""}(HTTP ${res.status}${code !== undefined ? `, code ${code}` : ""})`;
    if (res.status >= 500 || code === undefined) {
      throw new FeishuApiError(`Feishu tenant_access_token endpoint failed: ${detail}; is channels.feishu.api_base right?`, {
        status: res.status,
        ...(code !== undefined ? { code } : {}),
        platformMessage: said,
      });
    }
    if (res.status === 429 || code === 99991400) {
      const reset = Number(res.headers.get("x-ogw-ratelimit-reset"));
      throw new FeishuApiError(`Feishu tenant_access_token endpoint rate-limited this app: ${detail}`, {
        status: 429,
        code,
        platformMessage: said,
        ...(reset > 0 ? { retryAfterMs: reset * 1000 } : {}),
      });
    }
    throw new FeishuCredentialsRejected(
      `Feishu refused the app credentials ${detail}: check channels.feishu.app_id and channels.feishu.app_secret (developer console → Credentials & Basic Info), and channels.feishu.domain ("lark" for larksuite.com apps)`,
      { status: res.status, code, platformMessage: said },
    );
  }
}

/** "fetch failed: connect ECONNREFUSED 127.0.0.1:1" rather than just "fetch failed" */
export function causeText(err: Error): string {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message ? `${err.message}: ${cause.message}` : err.message;
}
