// The OpenAI-compatible client's request reuse (providers/protocols/openai-request.ts):
// whatever it sends, and whatever it makes of the answer, must be what the
// stock openai SDK sends and makes of it, request after request.
import { describe, expect, it } from "vitest";
import OpenAI from "openai";
import { leanFetch } from "../../src/net/lean-fetch.ts";
import { reusingClientClass } from "../../src/providers/protocols/openai-request.ts";
import { createClientFactory } from "../../src/providers/protocols/factory.ts";
import { hello, llm, oa, useFakeLlm } from "./llm-suite.ts";
import { target } from "./entries.ts";

useFakeLlm();
const factory = createClientFactory();

const options = () => ({ apiKey: "sk-test-reuse-1234", baseURL: `${llm.url}/v1`, maxRetries: 0, fetch: leanFetch as never, defaultHeaders: { "X-Org": "acme" } });
const body = (text: string) => ({ model: "test-model", messages: [{ role: "user", content: text }], tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }] });

/** the requests as the server saw them, without what differs between any two requests */
const seen = () => llm.requests.map((r) => ({ method: r.method, path: r.path, headers: r.headers, body: r.body }));

describe("reusing openai client", () => {
  it("sends the same URL, headers and body as the stock SDK, on its first request and on later ones", async () => {
    const stock = new OpenAI(options());
    const reusing = new (reusingClientClass(OpenAI))(options());
    for (const text of ["first", "second"]) {
      await stock.post("/chat/completions", { body: body(text) });
      await reusing.post("/chat/completions", { body: body(text) });
    }
    const [s1, r1, s2, r2] = seen();
    expect(r1).toEqual(s1);
    expect(r2).toEqual(s2);
    expect(r2!.headers.authorization).toBe("Bearer sk-test-reuse-1234");
    expect(r2!.headers["x-org"]).toBe("acme");
    expect(r2!.body).toEqual(body("second"));
  });

  it("sends the turn's tools on every request, and a changed tool list as changed, in the body's own key order", async () => {
    const e = oa();
    const tools = [{ name: "web_search", description: "search", parameters: { type: "object", properties: { query: { type: "string" } } } }];
    const changed = [{ ...tools[0]!, description: "search the web" }];
    for (const t of [tools, tools, changed]) await factory.clientFor(e).chat(target(e), { ...hello, tools: t, maxTokens: 9 });
    const sent = llm.requests.map((r) => r.body);
    expect(Object.keys(sent[1]!)).toEqual(["model", "messages", "tools", "max_tokens"]);
    expect(sent[0]!.tools).toEqual([{ type: "function", function: tools[0] }]);
    expect(sent[1]).toEqual(sent[0]);
    expect(sent[2]!.tools).toEqual([{ type: "function", function: changed[0] }]);
  });

  it("streams through the template too, and reads the answer the SDK's way", async () => {
    const reusing = new (reusingClientClass(OpenAI))(options());
    const text = await reusing.post("/chat/completions", { body: { ...body("a"), stream: true }, stream: true } as never).asResponse().then((r) => r.text());
    expect(text).toContain("data: [DONE]");
    expect(llm.requests[0]!.body.stream).toBe(true);
  });

  it("builds a request with its own headers the SDK's way", async () => {
    const reusing = new (reusingClientClass(OpenAI))(options());
    await reusing.post("/chat/completions", { body: body("plain") });
    await reusing.post("/chat/completions", { body: body("own"), headers: { "X-Trace": "t1" } });
    await reusing.post("/chat/completions", { body: body("plain again") });
    const [plain, own, again] = llm.requests;
    expect(own!.headers["x-trace"]).toBe("t1");
    // what one request carried of its own never reaches the template the others use
    expect(plain!.headers["x-trace"]).toBeUndefined();
    expect(again!.headers["x-trace"]).toBeUndefined();
    expect(again!.headers).toEqual({ ...plain!.headers, "content-length": again!.headers["content-length"] });
  });

  it("sends its own chat POST (sendChat) with the same URL, headers and body as the stock SDK, and reads the same answer", async () => {
    const stock = new OpenAI(options());
    const reusing = new (reusingClientClass(OpenAI))(options());
    const answers: unknown[] = [];
    for (const text of ["first", "second"]) {
      answers.push(await stock.post("/chat/completions", { body: body(text) }));
      answers.push(await reusing.sendChat(body(text), false, undefined));
    }
    const [s1, r1, s2, r2] = seen();
    expect(r1).toEqual(s1);
    expect(r2).toEqual(s2);
    const [a1, b1] = answers as { id: string }[];
    expect({ ...b1, id: a1!.id }).toEqual({ ...a1 });
  });

  it("streams through sendChat: the answer itself, read as the stock SDK's", async () => {
    const stock = new OpenAI(options());
    const reusing = new (reusingClientClass(OpenAI))(options());
    const streamed = { ...body("a"), stream: true };
    const mine = (await reusing.sendChat(streamed, true, undefined)) as Response;
    const theirs = await stock.post("/chat/completions", { body: streamed, stream: true } as never).asResponse();
    expect(mine.status).toBe(200);
    expect(mine.headers.get("content-type")).toBe(theirs.headers.get("content-type"));
    const [a, b] = [await mine.text(), await theirs.text()];
    expect(a).toContain("data: [DONE]");
    expect(a.replace(/"id":"[^"]*"/g, "")).toBe(b.replace(/"id":"[^"]*"/g, ""));
    const [r, s] = seen();
    expect(r).toEqual(s);
  });

  it("throws the SDK's own error for an HTTP error from sendChat: class, status, message, body and headers", async () => {
    const stock = new OpenAI(options());
    const reusing = new (reusingClientClass(OpenAI))(options());
    const cases = [
      { status: 400, body: { error: { message: "This model's maximum context length is 8192 tokens", type: "invalid_request_error", code: "context_length_exceeded", param: null } } },
      { status: 429, headers: { "retry-after": "7" } },
      { status: 401 },
      { status: 503, body: "upstream unavailable" },
    ];
    for (const c of cases) {
      llm.script(c, c);
      const theirs = await stock.post("/chat/completions", { body: body("x") }).catch((e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
      const mine = await reusing.sendChat(body("x"), false, undefined).catch((e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
      expect(mine).toBeInstanceOf(Object.getPrototypeOf(theirs).constructor);
      for (const k of ["status", "message", "error", "code", "type", "param"] as const) expect((mine as never)[k], `${c.status} ${k}`).toEqual((theirs as never)[k]);
      expect((mine as { headers: Headers }).headers.get("retry-after")).toBe((theirs as { headers: Headers }).headers.get("retry-after"));
    }
  });

  it("answers a 200 that is not JSON with its text from sendChat, as the stock SDK does", async () => {
    const stock = new OpenAI(options());
    const reusing = new (reusingClientClass(OpenAI))(options());
    const step = { reply: "ok", headers: { "content-type": "text/plain" } };
    llm.script(step, step);
    const theirs = await stock.post("/chat/completions", { body: body("x") });
    const mine = await reusing.sendChat(body("x"), false, undefined);
    expect(typeof mine).toBe("string");
    expect(typeof theirs).toBe("string");
  });

  it("ends a sendChat the caller cancelled as the SDK's abort, and times one out as the SDK's timeout", async () => {
    const reusing = new (reusingClientClass(OpenAI))({ ...options(), timeout: 200 });
    const cancel = new AbortController();
    cancel.abort();
    await expect(reusing.sendChat(body("x"), false, cancel.signal)).rejects.toBeInstanceOf(OpenAI.APIUserAbortError);
    llm.script({ reply: "late", delayMs: 1_000 });
    await expect(reusing.sendChat(body("x"), false, undefined)).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });

  it("maps an HTTP error to the SDK's error class", async () => {
    llm.script({ status: 429 });
    const reusing = new (reusingClientClass(OpenAI))(options());
    await expect(reusing.post("/chat/completions", { body: body("x") })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });
});
