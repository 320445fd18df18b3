// The lean fetch the model and Telegram calls go through: it must behave like
// fetch where the SDKs look (status, headers, body, aborts, network errors)
// and keep connections open between calls, also after an SSE stream the
// openai SDK stops reading at [DONE].
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { answerHeadersAreHeaders, leanFetch, oneSignal, type LeanInit } from "../../src/net/lean-fetch.ts";

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; closed: () => number }> {
  let closed = 0;
  server = createServer(handler);
  server.on("connection", (socket) => socket.once("close", () => closed++));
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, closed: () => closed };
}

/** /slow never answers; any other path answers its headers and a first part, and the rest never comes */
function serveHanging(): ReturnType<typeof serve> {
  return serve((req, res) => {
    if (req.url === "/slow") return;
    res.writeHead(200, { "content-type": "text/plain" });
    res.write("part one,");
  });
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  let s = "";
  for await (const c of req) s += c;
  return s;
}

describe("leanFetch", () => {
  it("sends method, headers and body, and answers with status, headers and JSON", async () => {
    const { url } = await serve(async (req, res) => {
      const body = await bodyOf(req);
      res.writeHead(201, { "content-type": "application/json", "x-request-id": "r1" }).end(JSON.stringify({ method: req.method, auth: req.headers.authorization, body }));
    });
    const res = await leanFetch(`${url}/x`, { method: "post", headers: { Authorization: "Bearer k", "content-type": "application/json" }, body: '{"a":"ü"}' });
    expect(res.status).toBe(201);
    expect(res.ok).toBe(true);
    expect(res.headers.get("x-request-id")).toBe("r1");
    expect(await res.json()).toEqual({ method: "POST", auth: "Bearer k", body: '{"a":"ü"}' });
    await expect(res.text()).rejects.toThrow(/already been read/);
  });

  it("sends the Host, Connection and Authorization headers Node's own request would send, and a Host or Authorization of the caller's instead", async () => {
    const seen: IncomingMessage["headers"][] = [];
    const { url } = await serve((req, res) => {
      seen.push(req.headers);
      res.writeHead(200).end("ok");
    });
    const port = new URL(url).port;
    await (await leanFetch(`${url}/plain`, { method: "POST", body: "x" })).text();
    await (await leanFetch(`http://user:p%40ss@127.0.0.1:${port}/basic`)).text();
    await (await leanFetch(`http://user:pw@127.0.0.1:${port}/own`, { headers: { Host: "example.test", Authorization: "Bearer mine" } })).text();
    expect(seen[0]).toMatchObject({ host: `127.0.0.1:${port}`, connection: "keep-alive", "content-length": "1" });
    expect(seen[0]!["transfer-encoding"]).toBeUndefined();
    expect(seen[1]!.authorization).toBe(`Basic ${Buffer.from("user:p@ss").toString("base64")}`);
    expect(seen[2]).toMatchObject({ host: "example.test", authorization: "Bearer mine" });
  });

  it("keeps one connection for calls in a row, streamed ones the openai SDK stops reading at [DONE] included", async () => {
    const chunk = (content: string) => `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
    const { url, closed } = await serve(async (req, res) => {
      const body = JSON.parse(await bodyOf(req)) as { stream?: boolean };
      if (!body.stream) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ id: "c", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: "hello there" }, finish_reason: "stop" }] }));
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(chunk("hello"));
      res.write(chunk(" there"));
      res.write("data: [DONE]\n\n");
      // the end of the chunked answer comes a moment after [DONE]: the SDK has stopped reading by then
      setTimeout(() => res.end(), 5);
    });
    const client = new OpenAI({ apiKey: "k", baseURL: `${url}/v1`, maxRetries: 0, fetch: leanFetch as never });
    for (let i = 0; i < 6; i++) {
      const stream = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true });
      let text = "";
      for await (const c of stream) text += c.choices[0]?.delta?.content ?? "";
      expect(text).toBe("hello there");
      const whole = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] });
      expect(whole.choices[0]?.message.content).toBe("hello there");
    }
    // a stream cut at [DONE] would close its connection; read to its end, every connection stays open for the next call
    expect(closed()).toBe(0);
  });

  it("rejects with the signal's reason when aborted before the answer, and fails the body read when aborted during it", async () => {
    const { url } = await serveHanging();
    const early = new AbortController();
    const pending = leanFetch(`${url}/slow`, { signal: early.signal });
    early.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });

    const late = new AbortController();
    const res = await leanFetch(`${url}/partial`, { signal: late.signal });
    const reading = res.text();
    late.abort(new DOMException("gave up", "TimeoutError"));
    await expect(reading).rejects.toMatchObject({ name: "TimeoutError" });

    const already = new AbortController();
    already.abort();
    await expect(leanFetch(`${url}/x`, { signal: already.signal })).rejects.toMatchObject({ name: "AbortError" });
  });

  it("fails like fetch when nobody listens, and when the answer breaks off", async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      res.write('{"half":');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const broken = await leanFetch(`${url}/x`);
    await expect(broken.json()).rejects.toMatchObject({ name: "TypeError", message: "terminated" });

    const { createServer: net } = await import("node:net");
    const probe = net();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const freePort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    await expect(leanFetch(`http://127.0.0.1:${freePort}/x`)).rejects.toMatchObject({ name: "TypeError", message: "fetch failed", cause: { code: "ECONNREFUSED" } });
  });

  it("leaves bodies it does not handle (streams) to Node's fetch", async () => {
    const { url } = await serve(async (req, res) => {
      res.writeHead(200).end(`got ${await bodyOf(req)}`);
    });
    const body = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode("streamed"));
        c.close();
      },
    });
    const res = await leanFetch(`${url}/x`, { method: "POST", body, duplex: "half" } as RequestInit);
    expect(res).toBeInstanceOf(Response);
    expect(await res.text()).toBe("got streamed");
  });

  it("answers with headers that read like fetch's: any case, duplicates joined, set-cookie apart, sorted, an instance of Headers, read-only", async () => {
    const { url } = await serve((_req, res) => {
      res.setHeader("Set-Cookie", ["a=1", "b=2"]);
      res.setHeader("X-Multi", ["one", "two"]);
      res.writeHead(429, { "Retry-After": "7", "X-Request-Id": "r9", "content-type": "application/json" }).end("{}");
    });
    const lean = await leanFetch(`${url}/h`);
    const real = await fetch(`${url}/h`);
    answerHeadersAreHeaders(); // what the model clients do before handing the lean fetch to their SDK
    expect(lean.headers).toBeInstanceOf(Headers);
    const comparable = (h: Headers) => [...h].filter(([k]) => k !== "date");
    expect(comparable(lean.headers)).toEqual(comparable(real.headers));
    for (const name of ["retry-after", "RETRY-AFTER", "x-multi", "set-cookie", "missing"]) expect(lean.headers.get(name)).toBe(real.headers.get(name));
    expect(lean.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(lean.headers.has("X-Request-Id")).toBe(true);
    expect(new Headers(lean.headers).get("x-request-id")).toBe("r9");
    const seen: string[] = [];
    lean.headers.forEach((_v, k) => seen.push(k));
    expect(seen).toEqual([...real.headers.keys()]);
    expect(() => lean.headers.set("x-request-id", "forged")).toThrow(TypeError);
  });

  it("loads Node's own undici for neither a call with plain headers nor reading its answer, until an SDK links the answers to Headers", async () => {
    // a fresh process: this one has undici loaded already. A gateway's start makes such calls (Telegram's getMe,
    // Discord's REST) and reads their headers; loading undici there cost 15–25 ms of CPU before /ready
    const { url } = await serve((_req, res) => res.writeHead(200, { "content-type": "application/json", "retry-after": "3" }).end('{"ok":true}'));
    const module = pathToFileURL(join(import.meta.dirname, "../../src/net/lean-fetch.ts")).href;
    const script = `
      const undici = () => process.moduleLoadList.some((m) => m.includes("undici"));
      const lean = await import(${JSON.stringify(module)});
      const res = await lean.leanFetch(${JSON.stringify(`${url}/x`)}, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      const seen = { retryAfter: res.headers.get("Retry-After"), body: await res.json(), undiciBefore: undici() };
      lean.answerHeadersAreHeaders();
      console.log(JSON.stringify({ ...seen, isHeaders: res.headers instanceof Headers }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], { timeout: 20_000 });
    expect(JSON.parse(stdout)).toEqual({ retryAfter: "3", body: { ok: true }, undiciBefore: false, isHeaders: true });
  });

  it("sends each call to its own URL and headers, also when the same URL's target is reused", async () => {
    const seen: { url: string; auth: string | undefined }[] = [];
    const { url } = await serve((req, res) => {
      seen.push({ url: req.url!, auth: req.headers.authorization });
      res.writeHead(200).end("ok");
    });
    const headers = { Authorization: "Bearer first" };
    await (await leanFetch(`${url}/v1/chat?x=1`, { headers })).text();
    headers.Authorization = "Bearer second";
    await (await leanFetch(new URL(`${url}/v1/chat?x=1`), { headers })).text();
    await (await leanFetch(`${url}/v1/other`)).text();
    expect(seen).toEqual([
      { url: "/v1/chat?x=1", auth: "Bearer first" },
      { url: "/v1/chat?x=1", auth: "Bearer second" },
      { url: "/v1/other", auth: undefined },
    ]);
  });

  it("is cancelled by a second signal (cancel) as by its own, before and during the answer, on the fast path and through oneSignal", async () => {
    const { url } = await serveHanging();
    const own = new AbortController();
    const early = new AbortController();
    const pending = leanFetch(`${url}/slow`, { signal: own.signal, cancel: early.signal } as LeanInit);
    early.abort(new DOMException("the turn was stopped", "AbortError"));
    await expect(pending).rejects.toMatchObject({ name: "AbortError", message: "the turn was stopped" });
    expect(own.signal.aborted).toBe(false);

    const late = new AbortController();
    const res = await leanFetch(`${url}/partial`, { cancel: late.signal } as LeanInit);
    const reading = res.text();
    late.abort();
    await expect(reading).rejects.toMatchObject({ name: "AbortError" });

    // a fetch that knows one signal (Node's, a proxy's) gets the two folded into it
    const viaFetch = oneSignal((input, init) => fetch(input, init));
    const third = new AbortController();
    const slow = viaFetch(`${url}/slow`, { cancel: third.signal } as LeanInit);
    third.abort();
    await expect(slow).rejects.toMatchObject({ name: "AbortError" });
  });
});
