// A JSON Bot API call (sendMessage, sendChatAction) posted straight over the
// lean fetch, for the calls every reply makes. grammy's ApiClient.call wraps
// each call in a polyfilled AbortController (bridged to a native one for the
// transport), a payload walk looking for files, a JSON replacer function, a
// race of three promises and its debug logger; profiled over a burst that was
// a quarter of a sendMessage's CPU outside the socket. What goes on the wire
// and what a failure throws are grammy's: the same URL, method, headers and
// JSON text; an answer with `ok: false` throws its GrammyError, a failed
// connection, an unreadable answer or the timeout its HttpError; so
// toChannelError and the plain-text retry read them as before
// (test/channels/telegram/bot-call.test.ts holds the two side by side).
// Uploads, proxies and every other method stay with grammy.
import { GrammyError, HttpError } from "grammy";
import type { FetchLike } from "../../src/net/proxy.ts";

/** posts one method's JSON payload and returns its `result` */
export type BotCall = <T>(method: string, payload: Record<string, unknown>) => Promise<T>;

/** grammy's headers for a JSON call (the lean fetch leaves `connection` to its keep-alive agent, as it did for grammy's calls) */
const JSON_HEADERS = Object.freeze({ "content-type": "application/json", connection: "keep-alive" });

interface BotAnswer {
  ok: boolean;
  result?: unknown;
  error_code: number;
  description: string;
  parameters?: Record<string, unknown>;
}

export function directBotCall(apiRoot: string, token: string, timeoutSeconds: number, transport: FetchLike): BotCall {
  const prefix = `${apiRoot}/bot${token}/`;
  return async <T>(method: string, payload: Record<string, unknown>): Promise<T> => {
    const timeout = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      timeout.abort();
    }, timeoutSeconds * 1000);
    let answer: BotAnswer;
    try {
      // grammy drops null values while it serializes; the payloads here hold none, and JSON.stringify drops undefined alike
      const res = await transport(prefix + method, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(payload), signal: timeout.signal });
      answer = (await res.json()) as BotAnswer;
    } catch (err) {
      throw new HttpError(`Network request for '${method}' failed!`, timedOut ? new Error(`Request to '${method}' timed out after ${timeoutSeconds} seconds`) : err);
    } finally {
      clearTimeout(timer);
    }
    if (answer.ok) return answer.result as T;
    throw new GrammyError(`Call to '${method}' failed!`, answer as ConstructorParameters<typeof GrammyError>[1], method, payload);
  };
}
