// The lean fetch's own HTTP/1.1 exchange (src/net/http1.ts) against raw
// sockets: it writes the bytes node:http writes for the same request, reads
// every framing a server may choose (length, chunked with extensions and
// trailers, close-delimited, none), split anywhere, skips 1xx heads, merges
// duplicate headers as Node does, reuses a connection only when the answer
// allows it, refuses header injection, and speaks TLS with verification on.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { exchange, requestHead } from "../../src/net/http1.ts";
import { leanFetch } from "../../src/net/lean-fetch.ts";

const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** a raw server: `answer` gets each request's bytes (head and body) and writes what it likes */
async function rawServer(answer: (req: string, socket: net.Socket, n: number) => void | Promise<void>, make: (fn: (s: net.Socket) => void) => net.Server = (fn) => net.createServer(fn)) {
  let connections = 0;
  let closed = 0;
  let requests = 0;
  const received: string[] = [];
  const server = make((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => closed++);
    let buf = "";
    socket.on("error", () => undefined);
    socket.on("data", (d) => {
      buf += d.toString("latin1");
      for (;;) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buf.slice(0, end + 4);
        const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        const chunked = /transfer-encoding: chunked/i.test(head);
        const total = chunked ? buf.indexOf("0\r\n\r\n", end) + 5 : end + 4 + len;
        if ((chunked && total < 5) || buf.length < total) return;
        const req = buf.slice(0, total);
        buf = buf.slice(total);
        received.push(req);
        void answer(req, socket, requests++);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return { port, url: `http://127.0.0.1:${port}`, received, connections: () => connections, closed: () => closed };
}

/** writes `text` one byte per segment, a moment apart (the reader sees it split almost everywhere) */
async function trickle(socket: net.Socket, text: string): Promise<void> {
  socket.setNoDelay(true);
  for (const ch of Buffer.from(text, "latin1")) {
    await new Promise<void>((r) => socket.write(Buffer.from([ch]), () => r()));
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe("the lean fetch's HTTP/1.1 exchange", () => {
  it("writes the same bytes as node:http for the same request", async () => {
    const cases: [string, string[], string | Uint8Array | undefined][] = [
      ["POST", ["content-type", "application/json", "content-length", String(Buffer.byteLength('{"t":"ünï 🙂"}')), "host", "h"], '{"t":"ünï 🙂"}'],
      ["POST", ["content-length", "3", "host", "h"], new Uint8Array([1, 2, 3])],
      ["GET", ["accept", "*/*", "host", "h"], undefined],
      ["POST", ["host", "h"], undefined],
      ["PUT", ["host", "h"], undefined],
      ["DELETE", ["host", "h", "x-audit-log-reason", "why%20not", "x-latin", "caf\u00e9"], undefined],
      ["POST", ["content-length", "2", "host", "h", "x-latin", "na\u00efve"], new Uint8Array([7, 8])],
      ["HEAD", ["host", "h"], undefined],
    ];
    const srv = await rawServer((_req, socket) => void socket.write("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"));
    const agent = new http.Agent({ keepAlive: true });
    const origin = { secure: false, hostname: "127.0.0.1", port: srv.port, key: `http://127.0.0.1:${srv.port}` };
    for (const [method, headers, body] of cases) {
      await new Promise((resolve, reject) => {
        const req = http.request({ hostname: "127.0.0.1", port: srv.port, path: "/a?b=1", method, headers, agent }, (res) => res.resume().on("end", resolve));
        req.on("error", reject);
        req.end(body);
      });
      await new Promise((resolve, reject) => {
        const head = requestHead(method, "/a?b=1", headers, body !== undefined);
        exchange(origin, head, body, method === "HEAD", () => ({ chunk: () => undefined, end: () => resolve(undefined), fail: reject }), reject);
      });
    }
    agent.destroy();
    expect(srv.received).toHaveLength(cases.length * 2);
    for (let i = 0; i < srv.received.length; i += 2) expect(srv.received[i + 1]).toBe(srv.received[i]);
  });

  it("refuses a header value or name that would inject a header, as node:http does, and sends nothing", async () => {
    const srv = await rawServer((_req, socket) => void socket.write("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"));
    await expect(leanFetch(srv.url, { headers: { "x-a": "1\r\nx-evil: 1" } })).rejects.toMatchObject({ name: "TypeError", code: "ERR_INVALID_CHAR" });
    await expect(leanFetch(srv.url, { headers: { "x a": "1" } })).rejects.toMatchObject({ name: "TypeError", code: "ERR_INVALID_HTTP_TOKEN" });
    expect(srv.received).toHaveLength(0);
  });

  it("reads a chunked answer with extensions and trailers split at every byte, and keeps the connection", async () => {
    const srv = await rawServer(async (_req, socket) => {
      await trickle(socket, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\ncontent-type: text/plain\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nx-trailer: t\r\n\r\n");
    });
    for (let i = 0; i < 2; i++) expect(await (await leanFetch(srv.url)).text()).toBe("hello, world");
    expect(srv.connections()).toBe(1);
  });

  it("reads a long chunked stream of small events whose size lines straddle the socket's reads", async () => {
    const events = Array.from({ length: 20_000 }, (_, i) => `data: {"i":${i},"text":"word "}\n\n`);
    const srv = await rawServer((_req, socket) => {
      socket.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-type: text/event-stream\r\n\r\n");
      socket.write(events.map((e) => `${Buffer.byteLength(e).toString(16)}\r\n${e}\r\n`).join("") + "0\r\n\r\n");
    });
    let text = "";
    for await (const c of (await leanFetch(srv.url)).body as unknown as AsyncIterable<Buffer>) {
      text += c.toString();
      // a reader slower than the socket: the answer waits, paused, in between
      if (text.length % 7 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(text).toBe(events.join(""));
  });

  it("reads length, close-delimited and empty answers, and reuses a connection only when the answer allows it", async () => {
    const answers = [
      "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nabcde",
      "HTTP/1.1 204 No Content\r\n\r\n",
      "HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n", // to a HEAD: no body follows
      "HTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
      "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 3\r\n\r\nbye",
      "HTTP/1.0 200 OK\r\n\r\nuntil the end",
      "HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nlast",
    ];
    const srv = await rawServer((_req, socket, n) => {
      socket.write(answers[n]!);
      if (n === 4 || n === 5) socket.end();
    });
    const texts: string[] = [];
    for (let i = 0; i < answers.length; i++) {
      const res = await leanFetch(srv.url, { method: i === 2 ? "HEAD" : "GET" });
      texts.push(`${res.status}:${await res.text()}`);
    }
    expect(texts).toEqual(["200:abcde", "204:", "200:", "200:ok", "200:bye", "200:until the end", "200:last"]);
    // one connection up to the "connection: close" answer, one for the close-delimited one, one after it
    expect(srv.connections()).toBe(3);
  });

  it("merges repeated answer headers as Node does: set-cookie apart, content-type the first, others joined", async () => {
    const srv = await rawServer((_req, socket) => void socket.write("HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nContent-Type: text/plain\r\ncontent-type: text/html\r\nX-Many: 1\r\nx-many:  2 \r\ncontent-length: 0\r\n\r\n"));
    const res = await leanFetch(srv.url);
    expect(res.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(res.headers.get("x-many")).toBe("1, 2");
  });

  it("opens a new connection when the server closed an idle one, and fails a garbled answer like fetch", async () => {
    const srv = await rawServer((req, socket) => {
      if (req.includes("/garbled")) return void socket.write("HELLO THERE\r\n\r\n");
      socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
      // the server's keep-alive ends right after the answer
      if (req.includes("/once")) socket.end();
    });
    expect(await (await leanFetch(`${srv.url}/once`)).text()).toBe("ok");
    // closed on both sides: the client saw the server's end (a request sent before that fails as with node:http)
    await until(() => srv.closed() === 1);
    expect(await (await leanFetch(`${srv.url}/again`)).text()).toBe("ok");
    await expect(leanFetch(`${srv.url}/garbled`)).rejects.toMatchObject({ name: "TypeError", message: "fetch failed", cause: { message: expect.stringContaining("not an HTTP/1.x answer") } });
  });

  it.skipIf(!hasOpenssl())("speaks TLS with the host name as SNI and refuses a certificate nobody signed", async () => {
    const { key, cert } = selfSigned();
    let sni: string | undefined;
    const srv = await rawServer(
      (_req, socket) => void socket.write("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"),
      (fn) => tls.createServer({ key, cert, SNICallback: (name, cb) => ((sni = name), cb(null, tls.createSecureContext({ key, cert }))) }, fn),
    );
    const failure = await leanFetch(`https://localhost:${srv.port}/x`).catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: "TypeError", message: "fetch failed", cause: { code: "DEPTH_ZERO_SELF_SIGNED_CERT" } });
    expect(sni).toBe("localhost");
    expect(srv.received).toHaveLength(0);
  });
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function selfSigned(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "sb-http1-"));
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", join(dir, "k.pem"), "-out", join(dir, "c.pem"), "-days", "1", "-subj", "/CN=localhost"], { stdio: "ignore" });
  return { key: readFileSync(join(dir, "k.pem"), "utf8"), cert: readFileSync(join(dir, "c.pem"), "utf8") };
}
