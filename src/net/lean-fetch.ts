// A fetch for the daemon's per-message API calls (the model's
// /chat/completions, the Telegram Bot API, Discord's REST) over keep-alive
// HTTP/1.1 connections of its own (http1.ts), answering with the node-fetch
// shape of a Response (lean-response.ts). Node's own fetch (undici) builds a
// Request, a header list, a web ReadableStream for the request body (written
// chunk by chunk) and another for the answer, and composes abort signals on
// every call; profiled against the fakes that machinery was the largest share
// of the daemon's CPU per message, and node:http, which came next, still cost
// three times what the exchange itself does. The official SDKs (openai, Anthropic, grammy)
// accept this shape (the SDKs read an async-iterable body, grammy only calls
// json()). Anything beyond a string or byte body to an http(s) URL (uploads,
// streams, FormData, a Request object) goes through the global fetch
// unchanged.
import { urlToHttpOptions } from "node:url";
import { exchange, requestHead, type Origin } from "./http1.ts";
import { LeanResponse } from "./lean-response.ts";
import type { FetchLike } from "./proxy.ts";

export { answerHeadersAreHeaders } from "./lean-response.ts";

// Node's own proxy support from the environment (NODE_USE_ENV_PROXY=1 / --use-env-proxy with
// HTTP(S)_PROXY) applies to fetch and the global agent, not to the connections here: with it on,
// every call goes through fetch, so the proxy the environment names is used
const envProxy = process.env.NODE_USE_ENV_PROXY === "1" || process.execArgv.includes("--use-env-proxy");

/**
 * RequestInit plus `cancel`: a second signal that aborts the call like
 * `signal` does. The model clients hand the caller's signal here instead of
 * to the SDK, which would otherwise compose it with its own timeout signal
 * (AbortSignal.any) on every request.
 */
export type LeanInit = RequestInit & { cancel?: AbortSignal };

/** A fetch-compatible function: fast path for string/byte bodies over http(s), the global fetch for the rest. */
export const leanFetch: FetchLike = (input, init) => {
  const body = init?.body;
  const simpleBody = body === undefined || body === null || typeof body === "string" || body instanceof Uint8Array;
  const target = envProxy || !simpleBody ? undefined : targetOf(input);
  if (!target) return fetch(input, withCancel(init as LeanInit | undefined));
  return request(target, init ?? {}, body as string | Uint8Array | undefined | null);
};

/** fetch itself knows one signal: the two become one (the rare slow path: proxies, uploads) */
function withCancel(init: LeanInit | undefined): RequestInit | undefined {
  if (!init?.cancel) return init;
  const { cancel, ...rest } = init;
  return { ...rest, signal: rest.signal ? AbortSignal.any([rest.signal, cancel]) : cancel };
}

/** `f` taking LeanInit: a `cancel` signal is folded into `signal` before the call */
export function oneSignal(f: FetchLike): FetchLike {
  return (input, init) => f(input, withCancel(init as LeanInit | undefined));
}

/** where a request goes, parsed once per URL: the daemon calls the same few URLs for every message */
interface Target {
  href: string;
  origin: Origin;
  path: string;
  /**
   * the headers Node would add from the URL: Host (as url.host writes it:
   * brackets for IPv6, no default port) and Authorization for user:password@
   */
  host: string;
  basicAuth: string | undefined;
}
const targets = new Map<string, Target>();
const MAX_TARGETS = 256;

function targetOf(input: string | URL | Request): Target | undefined {
  if (typeof input !== "string" && !(input instanceof URL)) return undefined;
  const key = typeof input === "string" ? input : input.href;
  let t = targets.get(key);
  if (!t) {
    const url = typeof input === "string" ? new URL(input) : input;
    if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
    const { hostname, port, path, auth } = urlToHttpOptions(url);
    const basicAuth = auth ? `Basic ${Buffer.from(auth).toString("base64")}` : undefined;
    const secure = url.protocol === "https:";
    const portNumber = Number(port) || (secure ? 443 : 80);
    const origin = { secure, hostname: hostname!, port: portNumber, key: `${url.protocol}//${hostname}:${portNumber}` };
    t = { href: url.href, origin, path: path ?? "/", host: url.host, basicAuth };
    // URLs with per-call query strings must not grow this without bound
    if (targets.size >= MAX_TARGETS) targets.clear();
    targets.set(key, t);
  }
  return t;
}

function request(target: Target, init: LeanInit, body: string | Uint8Array | undefined | null): Promise<Response> {
  const signal = init.signal ?? undefined;
  const cancel = init.cancel;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  if (cancel?.aborted) return Promise.reject(abortReason(cancel));
  const headers = headerObject(init.headers);
  if (body != null && headers["content-length"] === undefined) headers["content-length"] = String(typeof body === "string" ? Buffer.byteLength(body) : body.byteLength);
  // undici's fetch announces these too; servers that sniff them behave the same
  headers["accept"] ??= "*/*";
  headers["accept-encoding"] ??= "identity";
  delete headers["connection"]; // keep-alive is the connection pool's decision
  headers["host"] ??= target.host;
  if (target.basicAuth) headers["authorization"] ??= target.basicAuth;
  const list: string[] = [];
  for (const k in headers) list.push(k, headers[k]!);
  const method = (init.method ?? "GET").toUpperCase();
  let head: string;
  try {
    head = requestHead(method, target.path, list, body != null);
  } catch (err) {
    return Promise.reject(err);
  }
  return new Promise<Response>((resolve, reject) => {
    let answered = false;
    const aborted = () => (signal?.aborted ? signal : cancel?.aborted ? cancel : undefined);
    const onAbort = () => {
      const reason = abortReason(aborted()!);
      // before the answer the call rejects; after it the body read fails with the same reason
      if (!answered) reject(reason);
      flow.abort(reason as Error);
    };
    const unlisten = () => {
      signal?.removeEventListener("abort", onAbort);
      cancel?.removeEventListener("abort", onAbort);
    };
    const flow = exchange(
      target.origin,
      head,
      body ?? undefined,
      method === "HEAD",
      (answer) => {
        answered = true;
        const res = new LeanResponse(answer, target.href, flow, unlisten);
        resolve(res as unknown as Response);
        return res.sink;
      },
      (err) => {
        unlisten();
        const by = aborted();
        reject(by ? abortReason(by) : new TypeError("fetch failed", { cause: err }));
      },
    );
    signal?.addEventListener("abort", onAbort, { once: true });
    cancel?.addEventListener("abort", onAbort, { once: true });
  });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}

/** RequestInit headers (object, array of pairs or Headers) as a lower-cased plain object */
function headerObject(h: RequestInit["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  // a plain object or an array is neither a Headers nor asked whether it is one: reading the global Headers'
  // prototype loads Node's own undici, and the Telegram calls of a start pass plain objects
  const proto = Object.getPrototypeOf(h) as unknown;
  const plain = proto === Object.prototype || proto === null;
  if (!plain && Array.isArray(h)) for (const [k, v] of h) out[k!.toLowerCase()] = String(v);
  else if (!plain && h instanceof Headers) h.forEach((v, k) => (out[k] = v));
  else for (const k of Object.keys(h)) {
    const v = (h as Record<string, string | undefined>)[k];
    if (v !== undefined && v !== null) out[k.toLowerCase()] = String(v);
  }
  return out;
}

