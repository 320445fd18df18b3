// What QQ answers when something fails, turned into the contract's errors
// and into one-line reasons a person can act on. QQ reports failures as an
// HTTP status plus a body {code, message}; sometimes the status is 200 and
// only the body's code says it failed.
import { ChannelError } from "../../src/core/channel.ts";

/** A failed QQ OpenAPI call. `message` never holds a secret or token. */
export class QqApiError extends Error {
  /** HTTP status (0 for network errors and timeouts) */
  readonly status: number;
  /** QQ's business code from the body, when it sent one */
  readonly code: number | undefined;
  /** the platform's own words */
  readonly platformMessage: string;
  readonly retryAfterMs: number | undefined;
  /** the request may have been carried out (timeout, connection reset, 5xx) */
  readonly ambiguous: boolean;
  constructor(
    message: string,
    info: { status: number; code?: number; platformMessage?: string; retryAfterMs?: number; ambiguous?: boolean },
  ) {
    super(message);
    this.name = "QqApiError";
    this.status = info.status;
    this.code = info.code;
    this.platformMessage = info.platformMessage ?? "";
    this.retryAfterMs = info.retryAfterMs;
    this.ambiguous = info.ambiguous ?? false;
  }
}

/** The platform refused the app credentials themselves (not one call): the contract's `auth`. */
export class QqCredentialsRejected extends QqApiError {}

/** Removes every given secret from a text that may reach a log, a status line or an error. */
export function scrub(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 6) out = out.split(s).join("[redacted]");
  return out;
}

/** The access token was missing, wrong or expired: fetch a new one and try again. */
export const TOKEN_CODES = new Set([11241, 11242, 11243, 11244]);

/** The send is refused for now; trying again later can work. */
const RATE_CODES = new Set([22009, 20028, 1100100, 1100308, 610013, 620006]);

/** Accepted, but held for QQ's manual review: counts as delivered. */
export const ACCEPTED_FOR_REVIEW = new Set([304023, 304024]);

/** The same msg_id + msg_seq was sent before. */
export const DUPLICATE_SEQ = 40054005;

/** The text holds a URL that is not registered in the console. */
export const URL_NOT_ALLOWED = new Set([304003, 40054010]);

const PASSIVE_LIMIT =
  "QQ lets a bot answer a message only for a while (60 min in direct chats, 5 min in groups) and at most 5 times; the reply came too late or had too many parts";

const PERMANENT_HINTS: Record<number, string> = {
  304026: "the message being answered is unknown to QQ",
  304027: PASSIVE_LIMIT,
  304103: PASSIVE_LIMIT,
  40034005: PASSIVE_LIMIT,
  40034128: PASSIVE_LIMIT,
  40034024: "the message being answered is unknown to QQ",
  40034102: "QQ no longer delivers proactive messages (since 21 April 2025); the bot can only answer messages it received",
  40034105: "the user turned off messages from this bot",
  40034006: "QQ's content review rejected the message",
  40054002: "the bot is muted in that group",
  40054003: "the bot is not a member of that group",
  40034101: "the bot is not a member of that group",
  40054004: "the user has not added the bot",
  40054013: "the user does not accept messages from this bot",
  304003: "the text holds a URL that is not registered (QQ console → 开发设置 → 消息URL配置)",
  40054010: "the text holds a URL that is not registered (QQ console → 开发设置 → 消息URL配置)",
  50006: "the message was empty",
  11253: "this bot has no permission for that API; apply for it in the QQ console",
  11254: "QQ has blocked this API for the bot",
  11265: "QQ has banned this bot",
  1100101: "QQ's security check refused the content",
  1100104: "the group no longer exists",
};

export function describeCode(code: number | undefined): string {
  return code !== undefined ? (PERMANENT_HINTS[code] ?? "") : "";
}

export function isRateLimit(err: QqApiError): boolean {
  return err.status === 429 || (err.code !== undefined && RATE_CODES.has(err.code));
}

/**
 * Maps a failed call to the contract's codes: rate limits → rate_limited;
 * a token QQ keeps rejecting → auth; refusals a retry cannot fix (4xx with a
 * business code) → permanent; 5xx, network errors and timeouts → transient.
 */
export function toChannelError(err: unknown, what: string): Error {
  if (err instanceof QqCredentialsRejected) return new ChannelError("auth", err.message);
  if (!(err instanceof QqApiError)) return err instanceof Error ? err : new Error(String(err));
  const detail = `${err.platformMessage ? `${err.platformMessage} ` : ""}(HTTP ${err.status}${err.code !== undefined ? `, code ${err.code}` : ""})`;
  if (isRateLimit(err)) {
    const ms = err.retryAfterMs ?? 2_000;
    return new ChannelError("rate_limited", `QQ rate limit while trying to ${what}: ${detail}; retry in ${(ms / 1000).toFixed(1)} s`, { retryAfterMs: ms });
  }
  if (err.status === 401 || (err.code !== undefined && TOKEN_CODES.has(err.code))) {
    return new ChannelError("auth", `QQ rejected the access token while trying to ${what} even after fetching a new one ${detail}; check channels.qq.app_id and channels.qq.app_secret`);
  }
  const hint = describeCode(err.code);
  const permanent = err.status >= 400 && err.status < 500 && err.status !== 408;
  if (permanent || (hint && !err.ambiguous)) {
    return new ChannelError("permanent", `QQ refused to ${what}: ${detail}${hint ? ` — ${hint}` : ""}`);
  }
  return new ChannelError("transient", `QQ could not ${what}: ${err.message}`);
}

/** Why a gateway close code ends the connection for good, or undefined when reconnecting can help. */
export function fatalCloseReason(code: number): string | undefined {
  switch (code) {
    case 4010:
    case 4011:
      return `QQ refused the gateway shard (close ${code}); Switchboard runs one shard [0, 1]`;
    case 4012:
      return "QQ refused the gateway version (close 4012)";
    case 4013:
    case 4014:
      return `QQ refused the event intents (close ${code}): the bot has no permission for direct-message and group @-message events (GROUP_AND_C2C_EVENT); enable them for the bot in the QQ open platform console`;
    case 4914:
      return "QQ took this bot offline (close 4914): it may only connect to the sandbox; set channels.qq.sandbox to true or publish the bot";
    case 4915:
      return "QQ has banned this bot (close 4915); ask QQ to lift the ban before connecting again";
    default:
      return undefined;
  }
}

/** Close codes after which the session cannot be resumed (IDENTIFY again). */
export function closeEndsSession(code: number): boolean {
  return code === 4001 || code === 4002 || code === 4006 || code === 4007 || (code >= 4900 && code <= 4913);
}
