// Turns what discord.js / @discordjs/rest / @discordjs/ws throw into the
// contract's errors and into one-line reasons a person can act on. Matching is
// structural (status, code, retryAfter) so it survives duplicate copies of
// the SDK's error classes.
import { ChannelError } from "../../src/core/channel.ts";

export const TOKEN_REJECTED = "Discord rejected the bot token (fix channels.discord.token)";
export const INTENTS_DISALLOWED =
  "Discord refused the Message Content intent: enable it in the Discord Developer Portal (Bot → Privileged Gateway Intents → Message Content Intent)";

interface ErrorShape {
  message?: unknown;
  code?: unknown;
  status?: unknown;
  retryAfter?: unknown;
  timeToReset?: unknown;
  global?: unknown;
  route?: unknown;
}

function shape(err: unknown): ErrorShape {
  return typeof err === "object" && err !== null ? (err as ErrorShape) : { message: String(err) };
}

function text(err: unknown): string {
  const m = shape(err).message;
  return typeof m === "string" && m ? m : String(err);
}

/** Removes the token from any text that may reach a log or a status line. */
export function scrub(message: string, token: string | undefined): string {
  if (!token || token.length < 8) return message;
  return message.split(token).join("[redacted]");
}

/** Why login failed, as a status line (never the token). */
export function describeLoginError(err: unknown, token?: string): string {
  const e = shape(err);
  const msg = text(err);
  if (e.code === "TokenInvalid" || e.status === 401 || /Authentication failed/i.test(msg)) return TOKEN_REJECTED;
  if (/disallowed intents/i.test(msg)) return INTENTS_DISALLOWED;
  if (e.code === "ECONNREFUSED" || e.code === "ENOTFOUND" || e.code === "EAI_AGAIN") {
    return `Discord login failed: cannot reach the Discord API (${String(e.code)}); check the network or channels.discord.proxy`;
  }
  return `Discord login failed: ${scrub(msg, token)}`;
}

/** The contract's code for a describeLoginError() reason: a rejected token or intents cannot be fixed by retrying. */
export function loginErrorCode(reason: string): "auth" | "permanent" | "transient" {
  if (reason === TOKEN_REJECTED) return "auth";
  if (reason === INTENTS_DISALLOWED) return "permanent";
  return "transient";
}

/** A gateway close code that ends the session for good, explained. */
export function describeFatalClose(code: number): string {
  switch (code) {
    case 4004:
      return TOKEN_REJECTED;
    case 4014:
      return INTENTS_DISALLOWED;
    case 4013:
      return "Discord refused the gateway intents as invalid (gateway close 4013)";
    case 4010:
    case 4011:
      return `Discord requires sharding for this bot (gateway close ${code}); Switchboard runs one shard`;
    case 4012:
      return "Discord refused the gateway API version (gateway close 4012)";
    default:
      return `Discord closed the gateway connection for good (close code ${code})`;
  }
}

const PERMANENT_HINTS: Record<number, string> = {
  10003: "the channel no longer exists",
  50001: "the bot cannot see that channel (add it to the channel or give it View Channel)",
  50013: "the bot lacks permission there (grant Send Messages, and Attach Files for media)",
  50007: "the user does not accept direct messages from this bot",
  50006: "the message was empty",
  50035: "Discord refused the message body",
};

/**
 * Maps a failed REST call to the contract: rate limits → ChannelError("rate_limited"),
 * refusals that a retry cannot fix (400/403/404) → ChannelError("permanent"),
 * everything else (5xx, network, timeouts) → a plain Error the outbox retries.
 */
/** Discord refused the request body as too large (HTTP 413, code 40005): an attachment over the upload limit */
export function isTooLarge(err: unknown): boolean {
  const e = shape(err);
  return e.status === 413 || e.code === 40005;
}

export function mapRestError(err: unknown, what: string, token?: string): Error {
  const e = shape(err);
  if (typeof e.retryAfter === "number" && typeof e.timeToReset === "number") {
    const ms = Math.max(e.retryAfter, 0) || Math.max(e.timeToReset, 0) || 1_000;
    const scope = e.global === true ? "global" : "route";
    return new ChannelError("rate_limited", `Discord rate limit (${scope}) while trying to ${what}: retry in ${(ms / 1000).toFixed(1)} s`, { retryAfterMs: ms });
  }
  const status = typeof e.status === "number" ? e.status : undefined;
  const code = typeof e.code === "number" ? e.code : undefined;
  const msg = scrub(text(err), token);
  if (status === 401) return new ChannelError("auth", `${TOKEN_REJECTED} while trying to ${what}`);
  if (status === 400 || status === 403 || status === 404) {
    const hint = (code !== undefined ? PERMANENT_HINTS[code] : undefined) ?? "";
    return new ChannelError(
      "permanent",
      `Discord refused to ${what}: ${msg} (HTTP ${status}${code !== undefined ? `, code ${code}` : ""})${hint ? ` — ${hint}` : ""}`,
    );
  }
  return new ChannelError("transient", `Discord could not ${what}: ${msg}${status !== undefined ? ` (HTTP ${status})` : ""}`);
}
