// What Feishu answers when something fails, turned into the contract's
// errors and into one-line reasons a person can act on. The open platform
// reports failures as an HTTP status plus a body {code, msg}; the code is
// what counts (the status is 400 for most refusals, 429 or 400 for rate
// limits, sometimes 200).
import { ChannelError } from "../../src/core/channel.ts";
import { errorMessage } from "../../src/core/errors.ts";

/** A failed open-platform call. `message` never holds a secret or token. */
export class FeishuApiError extends Error {
  /** HTTP status (0 for network errors and timeouts) */
  readonly status: number;
  /** Feishu's business code from the body, when it sent one */
  readonly code: number | undefined;
  /** the platform's own words */
  readonly platformMessage: string;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, info: { status: number; code?: number; platformMessage?: string; retryAfterMs?: number }) {
    super(message);
    this.name = "FeishuApiError";
    this.status = info.status;
    this.code = info.code;
    this.platformMessage = info.platformMessage ?? "";
    this.retryAfterMs = info.retryAfterMs;
  }
}

/** The platform refused the app credentials themselves (not one call): the contract's `auth`. */
export class FeishuCredentialsRejected extends FeishuApiError {}

/** Removes every given secret from a text that may reach a log, a status line or an error. */
export function scrub(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 6) out = out.split(s).join("[redacted]");
  // long-connection URLs carry a short-lived ticket and access key in their query
  return out.replace(/(wss?:\/\/[^\s?"']+)\?[^\s"']*/g, "$1?[redacted]");
}

/** The tenant_access_token was missing, invalid or expired: fetch a new one and try once more. */
export const TOKEN_CODES = new Set([99991661, 99991663, 99991668, 99991677]);

/** Feishu's rate-limit codes: the gateway-wide one and "too many messages to this chat" (5 QPS per chat). */
export const RATE_CODES = new Set([99991400, 230020]);

/** The message a reply points at is gone (recalled or deleted): send to the chat instead. */
export const REPLY_TARGET_GONE = new Set([230011, 231003]);

/** The body was refused as malformed (a post the client cannot render, say): plain text may pass. */
export const CONTENT_REFUSED = new Set([230001, 230099]);

const PERMANENT_HINTS: Record<number, string> = {
  230001: "Feishu refused the request parameters",
  230002: "the bot is not a member of that group (add the bot to the group)",
  230006: "the app's bot ability is not enabled (developer console → Features → Bot, then publish a new version)",
  230013: "the user is outside the app's availability range (developer console → Version Management → Availability)",
  230025: "the message is too long for Feishu",
  230027: "the app lacks a permission (grant im:message:send_as_bot or im:message and publish a new version)",
  230028: "the message did not pass Feishu's content review",
  230035: "the bot may not send messages in that chat",
  230045: "the chat no longer exists",
  99991672: "the app lacks an API scope (developer console → Permissions & Scopes, then publish a new version)",
  99991679: "the app lacks an API scope (developer console → Permissions & Scopes, then publish a new version)",
};

function isPermanent(e: FeishuApiError): boolean {
  if (e.code !== undefined && RATE_CODES.has(e.code)) return false;
  if (e.code !== undefined && (PERMANENT_HINTS[e.code] !== undefined || (e.code >= 230000 && e.code < 232000))) return true;
  return e.status === 403 || e.status === 404;
}

/**
 * Maps a failed call to the contract's codes: rate limits (HTTP 429,
 * 99991400, 230020) → rate_limited; refusals a retry cannot fix (bot not in
 * the chat, missing permission, chat gone, content refused) → permanent;
 * everything else (5xx, network) → transient. Rejected app credentials are
 * `auth`, raised where the tenant token is fetched (token.ts).
 */
export function toChannelError(err: unknown, what: string): Error {
  if (err instanceof FeishuCredentialsRejected) return new ChannelError("auth", err.message);
  if (err instanceof ChannelError) return err;
  if (!(err instanceof FeishuApiError)) return new ChannelError("transient", `Feishu: could not ${what}: ${errorMessage(err)}`);
  const codeText = err.code !== undefined ? `, code ${err.code}` : "";
  const said = err.platformMessage ? `: ${err.platformMessage}` : "";
  if (err.status === 429 || (err.code !== undefined && RATE_CODES.has(err.code))) {
    const ms = err.retryAfterMs ?? 1_000;
    return new ChannelError("rate_limited", `Feishu rate limit while trying to ${what}${said} (HTTP ${err.status}${codeText}); retry in ${(ms / 1000).toFixed(1)} s`, { retryAfterMs: ms });
  }
  if (isPermanent(err)) {
    const hint = err.code !== undefined ? PERMANENT_HINTS[err.code] : undefined;
    return new ChannelError("permanent", `Feishu refused to ${what}${said} (HTTP ${err.status}${codeText})${hint ? ` — ${hint}` : ""}`);
  }
  return new ChannelError("transient", err.message);
}
