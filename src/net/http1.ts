// A small HTTP/1.1 client over keep-alive sockets for the lean fetch: one
// request at a time per connection, the request written in one go, the
// answer's head parsed once and its body framed by content-length, chunked
// encoding or the connection's close. node:http does the same work through a
// ClientRequest (an OutgoingMessage stream), an Agent that copies every
// request's options into a dictionary to name its pool, an IncomingMessage
// (a Readable stream) and a dozen events and ticks per call: measured on this
// machine, a keep-alive POST cost ~110-130 µs of CPU that way and ~30-40 µs
// over a socket directly, write included. The model call and the reply's
// sendMessage make two such calls per message.
//
// What it keeps of node:http: the bytes it writes (the same head for the same
// headers: tested against http.request), header names and values checked as
// Node checks them (no CR/LF injection), duplicate answer headers merged as
// Node merges them, idle sockets kept per origin (last used first) and closed
// after 30 s, TCP keep-alive and no Nagle delay on each socket, TLS with the
// host name as SNI and the system's CAs. No redirects (node:http follows none
// either), no Expect, no upgrades, no proxy: the lean fetch sends anything
// unusual to Node's fetch.
import net from "node:net";
import tls from "node:tls";

export interface Origin {
  secure: boolean;
  hostname: string;
  port: number;
  /** pool key: scheme, host and port */
  key: string;
}

/** the answer's head, and its body delivered to `sink` as it arrives */
export interface Answer {
  statusCode: number;
  statusMessage: string;
  /** lower-case names; set-cookie an array, other duplicates merged as Node merges them */
  headers: Record<string, string | string[]>;
}

export interface BodySink {
  chunk(b: Buffer): void;
  end(): void;
  fail(err: Error): void;
}

const IDLE_MS = 30_000;
const idle = new Map<string, Conn[]>();

/** header names and values as Node's http checks them before writing */
const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const BAD_PATH = /[^\u0021-\u00ff]/;

/** methods Node sends without a body framing of their own when the caller gives none */
const NO_BODY_METHODS = new Set(["GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "CONNECT"]);

/**
 * The bytes Node's http.request writes before the body for a flat header
 * list on a keep-alive agent: request line, the headers as given,
 * `Connection: keep-alive` unless the caller set Connection, and, for a POST
 * (PUT, PATCH, ...) with neither body nor length, an empty chunked body.
 * Throws Node's TypeError for a bad name, value or path.
 */
export function requestHead(method: string, path: string, headers: readonly string[], hasBody: boolean): string {
  if (BAD_PATH.test(path)) throw Object.assign(new TypeError("Request path contains unescaped characters"), { code: "ERR_UNESCAPED_CHARACTERS" });
  let head = `${method} ${path} HTTP/1.1\r\n`;
  let connection = false;
  let framed = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const value = headers[i + 1]!;
    if (!TOKEN.test(name)) throw Object.assign(new TypeError(`Header name must be a valid HTTP token ["${name}"]`), { code: "ERR_INVALID_HTTP_TOKEN" });
    if (BAD_VALUE.test(value)) throw Object.assign(new TypeError(`Invalid character in header content ["${name}"]`), { code: "ERR_INVALID_CHAR" });
    const lower = name.toLowerCase();
    if (lower === "connection") connection = true;
    else if (lower === "content-length" || lower === "transfer-encoding") framed = true;
    head += `${name}: ${value}\r\n`;
  }
  if (!connection) head += "Connection: keep-alive\r\n";
  if (!hasBody && !framed && !NO_BODY_METHODS.has(method)) return `${head}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`;
  return `${head}\r\n`;
}

/**
 * Sends one request on an idle connection of the origin (or a new one) and
 * calls `onAnswer` once the answer's head is in; its body then goes to the
 * sink `onAnswer` returns. `fail` gets any error before the head. Returns the
 * exchange's flow: pause and resume its socket (a reader behind), or abort it
 * (the connection is closed); none of them touch a later exchange on the
 * same connection.
 */
export function exchange(
  origin: Origin,
  head: string,
  body: string | Uint8Array | undefined,
  noBody: boolean,
  onAnswer: (a: Answer) => BodySink,
  fail: (err: Error) => void,
): { abort(err: Error): void; pause(): void; resume(): void } {
  const pool = idle.get(origin.key);
  let conn: Conn | undefined;
  while (pool?.length && !conn) {
    const c = pool.pop()!;
    if (c.usable()) conn = c;
  }
  conn ??= new Conn(origin);
  conn.start(noBody, onAnswer, fail);
  // as node:http writes them: a string body in one write with the head (UTF-8), else the head as latin1
  if (typeof body === "string") conn.socket.write(head + body);
  else if (body === undefined) conn.socket.write(head, "latin1");
  else {
    conn.socket.cork();
    conn.socket.write(head, "latin1");
    conn.socket.write(body);
    conn.socket.uncork();
  }
  const c = conn;
  const gen = c.gen;
  return {
    abort: (err) => c.abort(gen, err),
    pause: () => void (gen === c.gen && c.socket.pause()),
    resume: () => void (gen === c.gen && c.socket.resume()),
  };
}

/** Node keeps the first of these when an answer repeats them, and joins the rest with ", " */
const FIRST_ONLY = new Set(["age", "authorization", "content-length", "content-type", "etag", "expires", "from", "host", "if-modified-since", "if-unmodified-since", "last-modified", "location", "max-forwards", "proxy-authorization", "referer", "retry-after", "server", "user-agent"]);

type Framing = { kind: "length"; left: number } | { kind: "chunked"; left: number; trailers: boolean } | { kind: "close" } | { kind: "none" };

class Conn {
  readonly socket: net.Socket;
  private readonly origin: Origin;
  private busy = false;
  private closed = false;
  /** one per exchange: a late abort of an earlier exchange leaves the next one alone */
  gen = 0;
  private noBody = false;
  private onAnswer: ((a: Answer) => BodySink) | undefined;
  private onFail: ((err: Error) => void) | undefined;
  private sink: BodySink | undefined;
  private framing: Framing | undefined;
  private keepAlive = true;
  private buf: Buffer | undefined;

  constructor(origin: Origin) {
    this.origin = origin;
    this.socket = origin.secure
      ? tls.connect({ host: origin.hostname, port: origin.port, servername: net.isIP(origin.hostname) ? "" : origin.hostname })
      : net.connect({ host: origin.hostname, port: origin.port });
    this.socket.setNoDelay(true);
    this.socket.setKeepAlive(true, 1000);
    this.socket.on("data", (d: Buffer) => this.data(d));
    this.socket.on("end", () => this.gone(undefined));
    this.socket.on("error", (err) => this.gone(err));
    this.socket.on("close", () => this.gone(undefined));
    this.socket.on("timeout", () => this.socket.destroy());
  }

  usable(): boolean {
    return !this.closed && !this.socket.destroyed && this.socket.readyState === "open";
  }

  start(noBody: boolean, onAnswer: (a: Answer) => BodySink, fail: (err: Error) => void): void {
    this.gen++;
    this.busy = true;
    this.noBody = noBody;
    this.onAnswer = onAnswer;
    this.onFail = fail;
    this.sink = undefined;
    this.framing = undefined;
    this.keepAlive = true;
    this.buf = undefined;
    this.socket.setTimeout(0);
    this.socket.ref();
    this.socket.resume(); // a reader that fell behind in the last exchange may have left it paused
  }

  abort(gen: number, err: Error): void {
    if (!this.busy || gen !== this.gen) return;
    this.finish(err);
    this.socket.destroy();
  }

  private data(d: Buffer): void {
    if (!this.busy) return void this.socket.destroy(); // bytes nobody asked for: the connection is not clean
    const gen = this.gen;
    let b = this.buf ? Buffer.concat([this.buf, d]) : d;
    this.buf = undefined;
    try {
      while (b.length > 0 && this.busy && this.gen === gen) {
        if (this.framing) {
          const rest = this.body(b);
          if (rest.length === b.length) break; // an unfinished chunk size line: wait for more
          b = rest;
          continue;
        }
        const end = b.indexOf("\r\n\r\n");
        if (end < 0) {
          if (b.length > 65_536) throw new Error("the answer's head is larger than 64 KB");
          this.buf = b;
          return;
        }
        const head = b.toString("latin1", 0, end);
        b = b.subarray(end + 4);
        this.head(head);
        if ((this.framing as Framing | undefined)?.kind === "none") this.done();
      }
    } catch (err) {
      this.finish(err as Error);
      this.socket.destroy();
      return;
    }
    if (b.length === 0 || this.gen !== gen) return;
    if (this.busy) this.buf = b; // part of a chunk size line
    else this.socket.destroy(); // bytes after a complete answer: the connection is not clean
  }

  /** the status line and headers; 1xx answers (100 Continue, 103 Early Hints) are skipped */
  private head(text: string): void {
    const lines = text.split("\r\n");
    const m = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0]!);
    if (!m) throw new Error(`not an HTTP/1.x answer: ${JSON.stringify(lines[0]!.slice(0, 40))}`);
    const status = Number(m[2]);
    if (status >= 100 && status < 200 && status !== 101) return;
    const headers: Record<string, string | string[]> = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(":");
      if (colon <= 0) throw new Error(`malformed header line in the answer: ${JSON.stringify(line.slice(0, 40))}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      const prev = headers[name];
      if (name === "set-cookie") (headers[name] = (prev as string[] | undefined) ?? []).push(value);
      else if (prev === undefined) headers[name] = value;
      else if (!FIRST_ONLY.has(name)) headers[name] = `${prev as string}, ${value}`;
    }
    const connection = String(headers["connection"] ?? "").toLowerCase();
    this.keepAlive = m[1] === "1" ? !connection.includes("close") : connection.includes("keep-alive");
    const te = String(headers["transfer-encoding"] ?? "").toLowerCase();
    const length = headers["content-length"];
    if (this.noBody || status === 204 || status === 304) this.framing = { kind: "none" };
    else if (te.includes("chunked")) this.framing = { kind: "chunked", left: -1, trailers: false };
    else if (length !== undefined) {
      const n = Number(length);
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`bad content-length in the answer: ${String(length)}`);
      this.framing = n === 0 ? { kind: "none" } : { kind: "length", left: n };
    } else {
      this.framing = { kind: "close" };
      this.keepAlive = false;
    }
    const onAnswer = this.onAnswer!;
    this.onFail = undefined;
    this.sink = onAnswer({ statusCode: status, statusMessage: m[3] ?? "", headers });
  }

  /** hands the body's bytes in `b` to the sink; returns what belongs to no body (kept or refused by the caller) */
  private body(b: Buffer): Buffer {
    const f = this.framing!;
    if (f.kind === "close") {
      this.sink!.chunk(b);
      return b.subarray(b.length);
    }
    if (f.kind === "length") {
      const take = Math.min(f.left, b.length);
      this.sink!.chunk(take === b.length ? b : b.subarray(0, take));
      f.left -= take;
      if (f.left === 0) this.done();
      return b.subarray(take);
    }
    if (f.kind === "none") return b;
    // chunked: size line, data, CRLF; a zero size line starts the trailers, ended by an empty line
    while (b.length > 0 && this.busy) {
      if (f.left > 0) {
        const take = Math.min(f.left, b.length);
        this.sink!.chunk(b.subarray(0, take));
        f.left -= take;
        b = b.subarray(take);
        if (f.left === 0) f.left = -2; // the CRLF after the data
        continue;
      }
      const eol = b.indexOf("\r\n");
      if (eol < 0) {
        if (b.length > 4096) throw new Error("a chunk size line in the answer is larger than 4 KB");
        return b;
      }
      const line = b.toString("latin1", 0, eol);
      b = b.subarray(eol + 2);
      if (f.left === -2) {
        if (line !== "") throw new Error("malformed chunked encoding in the answer (no CRLF after a chunk)");
        f.left = -1;
      } else if (f.trailers) {
        if (line === "") this.done();
      } else {
        const size = parseInt(line, 16);
        if (!/^[0-9a-fA-F]+/.test(line) || !Number.isSafeInteger(size)) throw new Error(`malformed chunk size in the answer: ${JSON.stringify(line.slice(0, 20))}`);
        if (size === 0) f.trailers = true;
        else f.left = size;
      }
    }
    return b;
  }

  /** the answer is complete: the sink ends, the connection goes back to the pool when it may */
  private done(): void {
    const sink = this.sink;
    this.busy = false;
    this.sink = undefined;
    this.onAnswer = undefined;
    if (this.keepAlive) this.release();
    else this.socket.destroy();
    sink?.end();
  }

  private release(): void {
    this.socket.setTimeout(IDLE_MS);
    this.socket.unref();
    this.socket.resume(); // an idle socket must still see the server's close
    let pool = idle.get(this.origin.key);
    if (!pool) idle.set(this.origin.key, (pool = []));
    pool.push(this);
  }

  /** the socket ended, failed or closed */
  private gone(err: Error | undefined): void {
    const was = this.closed;
    this.closed = true;
    if (!was) {
      const pool = idle.get(this.origin.key);
      const i = pool?.indexOf(this) ?? -1;
      if (i >= 0) pool!.splice(i, 1);
    }
    if (!this.busy) return;
    // an answer delimited by the close ends here; anything else broke off
    if (this.framing?.kind === "close" && !err) {
      this.keepAlive = false;
      return this.done();
    }
    this.finish(err ?? Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));
    this.socket.destroy();
  }

  /** the exchange ends with `err`: before the head the request fails, after it the body read does */
  private finish(err: Error): void {
    if (!this.busy) return;
    this.busy = false;
    const sink = this.sink;
    const fail = this.onFail;
    this.sink = undefined;
    this.onFail = undefined;
    this.onAnswer = undefined;
    if (sink) sink.fail(err);
    else fail?.(err);
  }
}
