// The QQ access token: POST {appId, clientSecret} to the token endpoint,
// get {access_token, expires_in (seconds, a string)}. It is fetched once,
// reused, and fetched again 60 s before it expires (QQ hands out a new token
// only in the last 60 s of the old one's life; the old one stays valid
// meanwhile) or at once when the API says it is no longer valid. Concurrent
// callers share one request. Neither the secret nor the token is ever part
// of an error message or a log line.
import { z } from "zod";
import type { Clock } from "../../src/core/clock.ts";
import type { Logger } from "../../src/core/logger.ts";
import { QqApiError, QqCredentialsRejected, scrub } from "./errors.ts";

export { QqCredentialsRejected } from "./errors.ts";

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** refresh this long before the token's end of life */
export const REFRESH_LEAD_MS = 60_000;
/** never schedule a refresh sooner than this after fetching (a token that lives < 60 s) */
const MIN_LIFETIME_MS = 5_000;

const TokenOk = z.object({
  access_token: z.string().min(1),
  expires_in: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]),
});
/** the token endpoint's "too many requests" business code */
const TOKEN_RATE_LIMITED = 100001;
const TokenRefused = z.object({ code: z.union([z.number(), z.string()]).optional(), message: z.string().optional() });

export interface TokenSourceOptions {
  appId: string;
  appSecret: string;
  tokenUrl: string;
  clock: Clock;
  logger: Logger;
  fetch: FetchLike;
  timeoutMs?: number;
}


export class AccessTokenSource {
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

  /** a token valid for at least the next minute */
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
    const { appId, appSecret, tokenUrl } = this.opts;
    const started = this.opts.clock.now();
    let res: Response;
    try {
      res = await this.opts.fetch(tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ appId, clientSecret: appSecret }),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
      });
    } catch (err) {
      const why = err instanceof Error ? (err.name === "TimeoutError" ? "timed out" : err.message) : String(err);
      throw new QqApiError(`QQ access token request to ${tokenUrl} failed: ${scrub(why, [appSecret])}`, { status: 0, ambiguous: true });
    }
    const text = await res.text().catch(() => "");
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const ok = TokenOk.safeParse(body);
    if (res.ok && ok.success) {
      const lifetimeMs = ok.data.expires_in * 1000;
      this.token = ok.data.access_token;
      this.refreshAt = started + Math.max(lifetimeMs - REFRESH_LEAD_MS, Math.min(MIN_LIFETIME_MS, lifetimeMs));
      this.fetches++;
      this.opts.logger.debug({ expiresInSeconds: ok.data.expires_in }, "QQ access token fetched");
      return this.token;
    }
    const refused = TokenRefused.safeParse(body);
    const code = refused.success && refused.data.code !== undefined ? Number(refused.data.code) : undefined;
    const said = refused.success && refused.data.message ? scrub(refused.data.message, [appSecret]) : "";
    const detail = `${said ? `${said} ` : ""}(HTTP ${res.status}${code !== undefined && !Number.isNaN(code) ? `, code ${code}` : ""})`;
    if (res.status >= 500) {
      throw new QqApiError(`QQ access token endpoint failed: ${detail}`, { status: res.status, platformMessage: said, ambiguous: true });
    }
    if (res.status === 429 || code === TOKEN_RATE_LIMITED) {
      throw new QqApiError(`QQ access token endpoint rate-limited this bot: ${detail}`, { status: 429, platformMessage: said });
    }
    if (code !== undefined || res.status === 401 || res.status === 403) {
      throw new QqCredentialsRejected(
        `QQ refused the bot credentials ${detail}: check channels.qq.app_id and channels.qq.app_secret (QQ open platform console → 开发管理)`,
        { status: res.status, ...(code !== undefined && !Number.isNaN(code) ? { code } : {}), platformMessage: said },
      );
    }
    throw new QqApiError(`QQ access token endpoint answered something unexpected (HTTP ${res.status}); is channels.qq.token_url right?`, {
      status: res.status,
      ambiguous: true,
    });
  }
}
