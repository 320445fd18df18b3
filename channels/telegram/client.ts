// The Bot API client: grammy's Api pointed at the configured server root,
// calling through the lean fetch (src/net/lean-fetch.ts, its own HTTP/1.1
// exchange: the calls of every message, sendMessage and getUpdates, cost less
// CPU than through Node's fetch or node:http; sendMessage and sendChatAction
// skip grammy's call too, bot-call.ts) or undici's ProxyAgent and fetch when
// a proxy is set, and the translation of Bot API failures into the channel
// contract's error classes.
// File downloads read a web stream and keep Node's fetch. The undici package
// (~130 ms to load) is imported only for a proxy.
import { Api, GrammyError, HttpError } from "grammy";
import type { Dispatcher } from "undici";
import { ChannelError } from "../../src/core/channel.ts";
import { leanFetch } from "../../src/net/lean-fetch.ts";
import type { FetchLike } from "../../src/net/proxy.ts";
import type { ResolvedTelegramConfig } from "./config.ts";
import { directBotCall, type BotCall } from "./bot-call.ts";
import { errorMessage } from "../../src/core/errors.ts";

export interface TelegramClient {
  api: Api;
  /** sendMessage and sendChatAction: posted directly when no proxy is set (bot-call.ts), else through grammy */
  call: BotCall;
  /** fetch for file downloads: same proxy, real AbortSignal */
  fetch: typeof globalThis.fetch;
  /** replaces the token in any text that might leave this module */
  redact(text: string): string;
  close(): Promise<void>;
}

/** `transport` carries the API calls when no proxy is set (the bench compares it with Node's fetch) */
export function createTelegramClient(cfg: ResolvedTelegramConfig, opts: { timeoutSeconds: number }, transport: FetchLike = leanFetch): TelegramClient {
  const proxy = cfg.proxy;
  let proxied: Promise<{ fetch: typeof import("undici").fetch; dispatcher: Dispatcher }> | undefined;
  const viaProxy = (p: string) => (proxied ??= import("undici").then((u) => ({ fetch: u.fetch, dispatcher: new u.ProxyAgent(p) })));
  // grammy hands fetch an AbortSignal from the abort-controller polyfill, which
  // undici refuses; bridge it to a native one. grammy's node-fetch options
  // (agent, compress) mean nothing to undici and are dropped.
  const through = (direct: FetchLike) =>
    (async (input: string | URL, init: Record<string, unknown> = {}) => {
      const { signal, agent: _agent, compress: _compress, ...rest } = init as { signal?: AbortSignalLike; agent?: unknown; compress?: unknown };
      const native = bridgeSignal(signal);
      const options = { ...(rest as object), ...(native ? { signal: native } : {}) };
      if (!proxy) return direct(input, options as RequestInit);
      const via = await viaProxy(proxy);
      return via.fetch(input, { ...options, dispatcher: via.dispatcher } as Parameters<typeof via.fetch>[1]);
    }) as unknown as typeof globalThis.fetch;
  const fetchFn = through((input, init) => fetch(input, init));
  const api = new Api(cfg.token, {
    apiRoot: cfg.apiRoot,
    fetch: through(transport),
    timeoutSeconds: opts.timeoutSeconds,
  });
  const token = cfg.token;
  const raw = api.raw as unknown as Record<string, (payload: Record<string, unknown>) => Promise<unknown>>;
  const call: BotCall = proxy ? (method, payload) => raw[method]!(payload) as never : directBotCall(cfg.apiRoot, token, opts.timeoutSeconds, transport);
  return {
    api,
    call,
    fetch: fetchFn,
    redact: (text) => text.split(token).join("[token]"),
    close: async () => {
      if (proxied) await (await proxied).dispatcher.close().catch(() => undefined);
    },
  };
}

interface AbortSignalLike {
  aborted: boolean;
  addEventListener(type: "abort", fn: () => void): void;
}

function bridgeSignal(signal: AbortSignalLike | undefined): AbortSignal | undefined {
  if (!signal) return undefined;
  if (signal instanceof AbortSignal) return signal;
  const ctrl = new AbortController();
  if (signal.aborted) ctrl.abort();
  else signal.addEventListener("abort", () => ctrl.abort());
  return ctrl.signal;
}

/** The Bot API's answer to a failed call, when there was one. */
export function apiErrorOf(err: unknown): { code: number; description: string; retryAfter?: number; migrateTo?: number } | undefined {
  if (!(err instanceof GrammyError)) return undefined;
  return {
    code: err.error_code,
    description: err.description,
    ...(typeof err.parameters.retry_after === "number" ? { retryAfter: err.parameters.retry_after } : {}),
    ...(typeof err.parameters.migrate_to_chat_id === "number" ? { migrateTo: err.parameters.migrate_to_chat_id } : {}),
  };
}

/**
 * Maps a failed Bot API call to the contract's codes: 429 → rate_limited
 * (retry_after), chat-level refusals (403, 400) → permanent, a rejected
 * token (401, 404) → auth, everything else (5xx, network) → transient.
 */
export function toChannelError(err: unknown, method: string, redact: (s: string) => string): Error {
  const api = apiErrorOf(err);
  if (api) {
    const desc = redact(api.description);
    if (api.code === 429) {
      const seconds = api.retryAfter ?? 1;
      return new ChannelError("rate_limited", `Telegram rate limit on ${method}: ${desc}; retry after ${seconds} s`, { retryAfterMs: seconds * 1000 });
    }
    if (api.code === 403) {
      return new ChannelError("permanent", `Telegram refused ${method}: ${desc} (the user blocked the bot, or the bot is no longer in the chat)`);
    }
    if (api.code === 400 && api.migrateTo !== undefined) {
      return new ChannelError("permanent", `Telegram refused ${method}: the group became a supergroup with chat id ${api.migrateTo}; send there instead`);
    }
    if (api.code === 400) return new ChannelError("permanent", `Telegram rejected ${method}: ${desc}`);
    if (api.code === 401 || api.code === 404) return new ChannelError("auth", describeAuthFailure(method, api.code));
    return new ChannelError("transient", `Telegram ${method} failed with ${api.code}: ${desc}`);
  }
  if (err instanceof HttpError) {
    const cause = err.error instanceof Error ? causeText(err.error) : String(err.error);
    return new ChannelError("transient", `network error calling Telegram ${method}: ${redact(cause)} (check channels.telegram.api_base / proxy and the network)`);
  }
  return new Error(redact(errorMessage(err)));
}

export function describeAuthFailure(method: string, code: number): string {
  return `Telegram answered ${method} with ${code} ${code === 401 ? "Unauthorized" : "Not Found"}: the bot token is wrong or was revoked; check channels.telegram.token with @BotFather (and channels.telegram.api_base if you set one)`;
}

function causeText(err: Error): string {
  const cause = (err as { cause?: unknown }).cause;
  const inner = cause instanceof Error ? `: ${cause.message}` : "";
  return `${err.message}${inner}`;
}
