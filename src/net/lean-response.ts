// The answer of the lean fetch (lean-fetch.ts) in the node-fetch shape the
// SDKs read: status, headers, the body as an async-iterable of Buffers, and
// text/json/arrayBuffer. The body arrives from the HTTP/1.1 exchange
// (http1.ts) into a queue the reader drains.
import type { Answer, BodySink } from "./http1.ts";

/** what the response may ask of its exchange: hold back, go on, or end it */
export interface Flow {
  pause(): void;
  resume(): void;
  abort(err: Error): void;
}

/** What the SDKs read of a Response: status, headers, the body as an async-iterable, text/json/arrayBuffer. */
export class LeanResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly url: string;
  readonly redirected = false;
  readonly type = "basic";
  private readonly res: Answer;
  /** where the exchange delivers the body; read at most once */
  readonly sink: BodyReader;
  private read: BodyReader | undefined;
  private stream: (AsyncIterable<Buffer> & { cancel(): Promise<void> }) | undefined;
  private heads: Headers | undefined;

  constructor(res: Answer, url: string, flow: Flow, settled: () => void) {
    this.res = res;
    this.status = res.statusCode;
    this.statusText = res.statusMessage;
    this.ok = this.status >= 200 && this.status < 300;
    this.url = url;
    this.sink = new BodyReader(flow, settled);
  }

  /** built on first read, over the headers the exchange already parsed (the SDKs read one or two of every answer) */
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
    return (this.read = this.sink);
  }

  private async bytes(): Promise<Buffer> {
    const reader = this.reader();
    const chunks: Buffer[] = [];
    for (let r = await reader.next(); !r.done; r = await reader.next()) chunks.push(r.value);
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  }
}

/**
 * An answer's headers with the Headers interface, read from the exchange's parsed
 * headers instead of copied into an undici Headers (whose append validates
 * and whose iteration sorts on every answer). Its prototype chain holds
 * Headers.prototype once answerHeadersAreHeaders() ran, so the SDKs'
 * `instanceof Headers` checks hold; read-only, like a fetch Response's.
 */
type Pairs = IterableIterator<[string, string]>;
class AnswerHeaders {
  readonly #res: Answer;
  #pairs: [string, string][] | undefined;

  constructor(res: Answer) {
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
    return (this.#res.headers["set-cookie"] as string[] | undefined) ?? [];
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

/**
 * Puts Headers.prototype under every answer's headers, so `instanceof Headers`
 * holds for them; once, by the code that hands the lean fetch to an SDK that
 * asks (the openai and Anthropic SDKs do), not when this module loads:
 * reading the global Headers' prototype loads Node's own undici (15–25 ms of
 * CPU), and the gateway loads this module, and reads the headers of Discord's
 * REST answers, before /ready. Everything else reads them by their methods.
 */
let linked = false;
export function answerHeadersAreHeaders(): void {
  if (linked) return;
  Object.setPrototypeOf(AnswerHeaders.prototype, Headers.prototype);
  linked = true;
}

/**
 * The answer's body: the exchange hands it chunks (the sink side), the
 * response's reader takes them (the async-iterator side); the socket is
 * paused while 16 chunks wait unread.
 */
class BodyReader implements AsyncIterator<Buffer>, BodySink {
  private readonly flow: Flow;
  private readonly settled: () => void;
  private readonly queue: Buffer[] = [];
  private ended = false;
  private failure: unknown;
  private wake: (() => void) | undefined;
  /** the reader stopped early: the rest is dropped as it comes */
  private dropping = false;
  private dropTimer: NodeJS.Timeout | undefined;

  constructor(flow: Flow, settled: () => void) {
    this.flow = flow;
    this.settled = settled;
  }

  chunk(b: Buffer): void {
    if (this.dropping) return;
    this.queue.push(b);
    if (this.queue.length >= 16) this.flow.pause();
    this.notify();
  }

  end(): void {
    this.ended = true;
    this.stopped();
  }

  fail(err: Error): void {
    this.failure ??= isAbort(err) ? err : new TypeError("terminated", { cause: err });
    this.stopped();
  }

  private stopped(): void {
    clearTimeout(this.dropTimer);
    this.settled();
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async next(): Promise<IteratorResult<Buffer>> {
    for (;;) {
      const chunk = this.queue.shift();
      if (chunk) {
        if (this.queue.length === 3) this.flow.resume();
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
    if (!this.ended && !this.failure && !this.dropping) {
      this.dropping = true;
      this.dropTimer = setTimeout(() => this.flow.abort(new Error("the answer did not end within 2 s of its reader stopping")), 2000).unref();
      this.flow.resume();
    }
    return { value: undefined, done: true };
  }
}

function isAbort(err: unknown): boolean {
  const name = (err as { name?: unknown })?.name;
  return name === "AbortError" || name === "TimeoutError";
}
