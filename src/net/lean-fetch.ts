// A fetch for the daemon's per-message API calls (the model's
// /chat/completions, the Telegram Bot API) on node:http with keep-alive
// connections, answering with the node-fetch shape of a Response: its body is
// the Node stream itself. Node's own fetch (undici) builds a Request, a
// header list, a web ReadableStream for the request body (written chunk by
// chunk) and another for the answer, and composes abort signals on every
// call; profiled against the fakes that machinery was the largest share of the
// daemon's CPU per message. The official SDKs (openai, Anthropic, grammy)
// accept this shape (the SDKs read an async-iterable body, grammy only calls
// json()). Anything beyond a string or byte body to an http(s) URL (uploads,
// streams, FormData, a Request object) goes through the global fetch
// unchanged.
import http, { type IncomingMessage, type RequestOptions } from "node:http";
import https from "node:https";
import { urlToHttpOptions } from "node:url";
import type { FetchLike } from "./proxy.ts";

// one pool per protocol for the life of the process; sockets idle out after 30 s
const AGENT_OPTIONS = { keepAlive: true, timeout: 30_000, scheduling: "lifo" as const };
let httpAgent: http.Agent | undefined;
let httpsAgent: https.Agent | undefined;

// Node's own proxy support from the environment (NODE_USE_ENV_PROXY=1 / --use-env-proxy with
// HTTP(S)_PROXY) applies to fetch and the global agent, not to the agents here: it keeps fetch
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
  secure: boolean;
  options: Pick<RequestOptions, "protocol" | "hostname" | "port" | "path">;
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
    const { protocol, hostname, port, path, auth } = urlToHttpOptions(url);
    const basicAuth = auth ? `Basic ${Buffer.from(auth).toString("base64")}` : undefined;
    t = { href: url.href, secure: url.protocol === "https:", options: { protocol, hostname, port, path }, host: url.host, basicAuth };
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
  const secure = target.secure;
  const headers = headerObject(init.headers);
  if (body != null && headers["content-length"] === undefined) headers["content-length"] = String(typeof body === "string" ? Buffer.byteLength(body) : body.byteLength);
  // undici's fetch announces these too; servers that sniff them behave the same
  headers["accept"] ??= "*/*";
  headers["accept-encoding"] ??= "identity";
  delete headers["connection"]; // keep-alive is the agent's decision
  headers["host"] ??= target.host;
  if (target.basicAuth) headers["authorization"] ??= target.basicAuth;
  // as a flat list, Node writes the header block at once, without its per-header map (setHeader)
  const list: string[] = [];
  for (const k in headers) list.push(k, headers[k]!);
  return new Promise<Response>((resolve, reject) => {
    const agent = secure ? (httpsAgent ??= new https.Agent(AGENT_OPTIONS)) : (httpAgent ??= new http.Agent(AGENT_OPTIONS));
    const req = (secure ? https : http).request({ ...target.options, method: (init.method ?? "GET").toUpperCase(), headers: list, agent });
    let response: IncomingMessage | undefined;
    const aborted = () => (signal?.aborted ? signal : cancel?.aborted ? cancel : undefined);
    const onAbort = () => {
      const reason = abortReason(aborted()!);
      // before the answer the call rejects; after it the body read fails with the same reason
      if (response) response.destroy(reason as Error);
      else req.destroy(reason as Error);
      reject(reason);
    };
    const unlisten = () => {
      signal?.removeEventListener("abort", onAbort);
      cancel?.removeEventListener("abort", onAbort);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    cancel?.addEventListener("abort", onAbort, { once: true });
    req.on("error", (err) => {
      unlisten();
      const by = aborted();
      reject(by ? abortReason(by) : new TypeError("fetch failed", { cause: err }));
    });
    req.once("response", (res) => {
      response = res;
      res.on("error", () => undefined); // a body nobody reads may still fail (abort, reset): never an uncaught error
      res.once("close", unlisten);
      resolve(new LeanResponse(res, target.href) as unknown as Response);
    });
    req.end(body ?? undefined);
  });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}

/** RequestInit headers (object, array of pairs or Headers) as a lower-cased plain object */
function headerObject(h: RequestInit["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  if (h instanceof Headers) h.forEach((v, k) => (out[k] = v));
  else if (Array.isArray(h)) for (const [k, v] of h) out[k!.toLowerCase()] = String(v);
  else for (const k of Object.keys(h)) {
    const v = (h as Record<string, string | undefined>)[k];
    if (v !== undefined && v !== null) out[k.toLowerCase()] = String(v);
  }
  return out;
}

/** What the SDKs read of a Response: status, headers, the body as an async-iterable, text/json/arrayBuffer. */
class LeanResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly url: string;
  readonly redirected = false;
  readonly type = "basic";
  private readonly res: IncomingMessage;
  private read: BodyReader | undefined;
  private stream: (AsyncIterable<Buffer> & { cancel(): Promise<void> }) | undefined;
  private heads: Headers | undefined;

  constructor(res: IncomingMessage, url: string) {
    this.res = res;
    this.status = res.statusCode ?? 0;
    this.statusText = res.statusMessage ?? "";
    this.ok = this.status >= 200 && this.status < 300;
    this.url = url;
  }

  /** built on first read, over Node's already parsed headers (the SDKs read one or two of every answer) */
  get headers(): Headers {
    return (this.heads ??= new AnswerHeaders(this.res) as unknown as Headers);
  }

  /** the answer's bytes as an async-iterable (the node-fetch shape the SDKs read) */
  get body(): AsyncIterable<Buffer> & { cancel(): Promise<void> } {
    return (this.stream ??= {
      // a second call (an SDK cancelling what it read) gets the same reader, as a Node stream would
      [Symbol.asyncIterator]: () => this.read ?? this.reader(),
      cancel: async () => void (await (this.read ?? this.reader()).return()),
    });
  }

  get bodyUsed(): boolean {
    return this.read !== undefined;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const buf = await this.bytes();
    return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  }

  async text(): Promise<string> {
    return (await this.bytes()).toString("utf8");
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  private reader(): BodyReader {
    if (this.read) throw new TypeError("Body is unusable: Body has already been read");
    return (this.read = new BodyReader(this.res));
  }

  private async bytes(): Promise<Buffer> {
    const reader = this.reader();
    const chunks: Buffer[] = [];
    for (let r = await reader.next(); !r.done; r = await reader.next()) chunks.push(r.value);
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  }
}

/**
 * An answer's headers with the Headers interface, read from Node's parsed
 * headers instead of copied into an undici Headers (whose append validates
 * and whose iteration sorts on every answer). Its prototype chain holds
 * Headers.prototype, so `instanceof Headers` checks (the SDKs', ours) hold;
 * read-only, like a fetch Response's.
 */
type Pairs = IterableIterator<[string, string]>;
class AnswerHeaders {
  readonly #res: IncomingMessage;
  #pairs: [string, string][] | undefined;

  constructor(res: IncomingMessage) {
    this.#res = res;
  }

  get(name: string): string | null {
    const key = name.toLowerCase();
    if (key === "set-cookie") return this.getSetCookie().join(", ") || null;
    const v = this.#res.headers[key];
    return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
  }

  has(name: string): boolean {
    return this.#res.headers[name.toLowerCase()] !== undefined;
  }

  getSetCookie(): string[] {
    return this.#res.headers["set-cookie"] ?? [];
  }

  /** sorted by name, duplicates joined (set-cookie kept apart), as Headers iterates */
  entries(): Pairs {
    return this.pairs()[Symbol.iterator]();
  }

  /** the pairs in iteration order, built once: an SDK reads them more than once per answer (its log lines) */
  private pairs(): [string, string][] {
    if (this.#pairs) return this.#pairs;
    const all = this.#res.headers;
    const out: [string, string][] = [];
    for (const name of Object.keys(all).sort()) {
      if (name === "set-cookie") for (const c of this.getSetCookie()) out.push([name, c]);
      else out.push([name, this.get(name)!]);
    }
    return (this.#pairs = out);
  }

  keys(): IterableIterator<string> {
    return (function* (it) {
      for (const [k] of it) yield k;
    })(this.entries());
  }

  values(): IterableIterator<string> {
    return (function* (it) {
      for (const [, v] of it) yield v;
    })(this.entries());
  }

  [Symbol.iterator](): Pairs {
    return this.entries();
  }

  forEach(fn: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this as unknown as Headers);
  }

  /** what util.inspect (and so console.log, test failures) shows */
  [Symbol.for("nodejs.util.inspect.custom")](): Record<string, string> {
    return Object.fromEntries(this.entries());
  }

  append(): void {
    throw new TypeError("immutable: the headers of an answer are read-only");
  }

  set(): void {
    throw new TypeError("immutable: the headers of an answer are read-only");
  }

  delete(): void {
    throw new TypeError("immutable: the headers of an answer are read-only");
  }
}
Object.setPrototypeOf(AnswerHeaders.prototype, Headers.prototype);

/** a chunk queue over the answer's events, paused while the reader is behind */
class BodyReader implements AsyncIterator<Buffer> {
  private readonly res: IncomingMessage;
  private readonly queue: Buffer[] = [];
  private ended = false;
  private failure: unknown;
  private wake: (() => void) | undefined;

  constructor(res: IncomingMessage) {
    this.res = res;
    const notify = () => {
      const w = this.wake;
      this.wake = undefined;
      w?.();
    };
    res.on("data", (c: Buffer) => {
      this.queue.push(c);
      if (this.queue.length >= 16) res.pause();
      notify();
    });
    res.once("end", () => {
      this.ended = true;
      notify();
    });
    res.once("error", (err) => {
      this.failure ??= isAbort(err) ? err : new TypeError("terminated", { cause: err });
      notify();
    });
    res.once("close", () => {
      // closed before its end: the connection broke mid-answer
      if (!this.ended) this.failure ??= new TypeError("terminated", { cause: new Error("the connection closed before the answer ended") });
      notify();
    });
  }

  async next(): Promise<IteratorResult<Buffer>> {
    for (;;) {
      const chunk = this.queue.shift();
      if (chunk) {
        if (this.queue.length < 4 && this.res.isPaused()) this.res.resume();
        return { value: chunk, done: false };
      }
      if (this.failure) throw this.failure;
      if (this.ended) return { value: undefined, done: true };
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  /**
   * The reader stops early (an SSE stream after its last event): the rest of
   * the answer (the chunked terminator, usually) is read and dropped so the
   * connection goes back to the pool; one that does not end within 2 s is
   * closed.
   */
  async return(): Promise<IteratorResult<Buffer>> {
    this.queue.length = 0;
    if (!this.ended && !this.failure && !this.res.destroyed) {
      const res = this.res;
      res.removeAllListeners("data");
      const timer = setTimeout(() => res.destroy(), 2000).unref();
      res.once("end", () => clearTimeout(timer));
      res.resume();
    }
    return { value: undefined, done: true };
  }
}
function isAbort(err: unknown): boolean {
  const name = (err as { name?: unknown })?.name;
  return name === "AbortError" || name === "TimeoutError";
}
