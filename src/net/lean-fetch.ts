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
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import type { FetchLike } from "./proxy.ts";

// one pool per protocol for the life of the process; sockets idle out after 30 s
const AGENT_OPTIONS = { keepAlive: true, timeout: 30_000, scheduling: "lifo" as const };
let httpAgent: http.Agent | undefined;
let httpsAgent: https.Agent | undefined;

// Node's own proxy support from the environment (NODE_USE_ENV_PROXY=1 / --use-env-proxy with
// HTTP(S)_PROXY) applies to fetch and the global agent, not to the agents here: it keeps fetch
const envProxy = process.env.NODE_USE_ENV_PROXY === "1" || process.execArgv.includes("--use-env-proxy");

/** A fetch-compatible function: fast path for string/byte bodies over http(s), the global fetch for the rest. */
export const leanFetch: FetchLike = (input, init) => {
  if (envProxy) return fetch(input, init);
  const body = init?.body;
  const simpleBody = body === undefined || body === null || typeof body === "string" || body instanceof Uint8Array;
  if (!simpleBody || typeof input === "object" && !(input instanceof URL)) return fetch(input, init);
  const url = typeof input === "string" ? new URL(input) : input;
  if (url.protocol !== "http:" && url.protocol !== "https:") return fetch(input, init);
  return request(url, init ?? {}, body as string | Uint8Array | undefined | null);
};

function request(url: URL, init: RequestInit, body: string | Uint8Array | undefined | null): Promise<Response> {
  const signal = init.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  const secure = url.protocol === "https:";
  const headers = headerObject(init.headers);
  if (body != null && headers["content-length"] === undefined) headers["content-length"] = String(typeof body === "string" ? Buffer.byteLength(body) : body.byteLength);
  // undici's fetch announces these too; servers that sniff them behave the same
  headers["accept"] ??= "*/*";
  headers["accept-encoding"] ??= "identity";
  delete headers["connection"]; // keep-alive is the agent's decision
  return new Promise<Response>((resolve, reject) => {
    const agent = secure ? (httpsAgent ??= new https.Agent(AGENT_OPTIONS)) : (httpAgent ??= new http.Agent(AGENT_OPTIONS));
    const req = (secure ? https : http).request(url, { method: (init.method ?? "GET").toUpperCase(), headers, agent });
    let response: IncomingMessage | undefined;
    const onAbort = () => {
      const reason = abortReason(signal!);
      // before the answer the call rejects; after it the body read fails with the same reason
      if (response) response.destroy(reason as Error);
      else req.destroy(reason as Error);
      reject(reason);
    };
    const unlisten = () => signal?.removeEventListener("abort", onAbort);
    signal?.addEventListener("abort", onAbort, { once: true });
    req.on("error", (err) => {
      unlisten();
      reject(signal?.aborted ? abortReason(signal) : new TypeError("fetch failed", { cause: err }));
    });
    req.once("response", (res) => {
      response = res;
      res.on("error", () => undefined); // a body nobody reads may still fail (abort, reset): never an uncaught error
      res.once("close", unlisten);
      resolve(new LeanResponse(res, url.href) as unknown as Response);
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

  /** built on first read: most calls never look at a header */
  get headers(): Headers {
    if (!this.heads) {
      const h = new Headers();
      const raw = this.res.rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) h.append(raw[i]!, raw[i + 1]!);
      this.heads = h;
    }
    return this.heads;
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
