import { createServer, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatDelta } from "../../src/core/chat.ts";
import { createClientFactory } from "../../src/providers/protocols/factory.ts";
import { ProviderError, type ModelEntry } from "../../src/providers/types.ts";
import { hello, llm, oa, useFakeLlm } from "./llm-suite.ts";
import { entry, target } from "./entries.ts";

useFakeLlm();
const factory = createClientFactory();

const an = (over: Partial<ModelEntry> = {}) => entry({ apiBase: llm.url, protocol: "anthropic", vendor: "anthropic-messages", modelId: "claude-x", ...over });

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  }
  throw new Error("expected a failure");
}

async function collect(it: AsyncIterable<ChatDelta>): Promise<ChatDelta[]> {
  const out: ChatDelta[] = [];
  for await (const d of it) out.push(d);
  return out;
}

describe("OpenAI-compatible client", () => {
  it("sends the model id, key, headers, extra_body and max-tokens field; reads text and usage", async () => {
    llm.script({ reply: "hi there", usage: { prompt: 12, completion: 3 } });
    const e = oa({ customHeaders: { "X-Org": "acme" }, extraBody: { top_k: 5 }, maxTokensField: "max_completion_tokens" });
    const res = await factory.clientFor(e).chat(target(e), { ...hello, maxTokens: 99 });
    expect(res).toMatchObject({ content: "hi there", finishReason: "stop", usage: { promptTokens: 12, completionTokens: 3, totalTokens: 15 } });
    const req = llm.requests[0]!;
    expect(req.path).toBe("/v1/chat/completions");
    expect(req.headers.authorization).toBe("Bearer sk-test-secret-key-123456");
    expect(req.headers["x-org"]).toBe("acme");
    expect(req.body).toMatchObject({ model: "test-model", top_k: 5, max_completion_tokens: 99 });
    expect(req.body.max_tokens).toBeUndefined();
  });

  it("round-trips tool calls: tools out, calls in, results back with their ids", async () => {
    llm.script({ toolCalls: [{ name: "web_search", arguments: { query: "x" }, id: "call_a" }] });
    const e = oa();
    const tools = [{ name: "web_search", description: "search", parameters: { type: "object", properties: { query: { type: "string" } } } }];
    const first = await factory.clientFor(e).chat(target(e), { ...hello, tools });
    expect(first.finishReason).toBe("tool_calls");
    expect(first.toolCalls).toEqual([{ id: "call_a", name: "web_search", arguments: '{"query":"x"}' }]);
    await factory.clientFor(e).chat(target(e), {
      messages: [...hello.messages, { role: "assistant", content: "", toolCalls: first.toolCalls }, { role: "tool", content: "results", toolCallId: "call_a", name: "web_search" }],
      tools,
    });
    const sent = llm.requests[1]!.body.messages as Record<string, unknown>[];
    expect(sent[2]).toMatchObject({ role: "assistant", tool_calls: [{ id: "call_a", type: "function", function: { name: "web_search" } }] });
    expect(sent[3]).toEqual({ role: "tool", tool_call_id: "call_a", content: "results" });
    expect(llm.requests[0]!.body.tools).toEqual([{ type: "function", function: tools[0] }]);
  });

  it("streams text and tool-call deltas and assembles the result", async () => {
    llm.script({ stream: true, reply: "streamed answer", toolCalls: [{ name: "cron", arguments: { action: "list" } }] });
    const e = oa();
    const deltas = await collect(factory.clientFor(e).stream(target(e), hello));
    const text = deltas.filter((d) => d.type === "text").map((d) => (d as { text: string }).text).join("");
    expect(text).toBe("streamed answer");
    const done = deltas.at(-1)!;
    expect(done.type).toBe("done");
    expect((done as { result: { toolCalls: unknown[] } }).result.toolCalls).toEqual([{ id: "call_0", name: "cron", arguments: '{"action":"list"}' }]);
    expect(llm.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it("sends images as image_url parts", async () => {
    const e = oa();
    await factory.clientFor(e).chat(target(e), { messages: [{ role: "user", content: [{ type: "text", text: "what is it" }, { type: "image", mimeType: "image/png", data: "AAAA" }] }] });
    expect((llm.requests[0]!.body.messages as { content: unknown }[])[0]!.content).toEqual([
      { type: "text", text: "what is it" },
      { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
    ]);
  });

  const cases: [number, string, Record<string, string>?][] = [
    [401, "auth"],
    [402, "billing"],
    [404, "model_not_found"],
    [429, "rate_limit", { "retry-after": "7" }],
    [500, "server_error"],
    [503, "overloaded"],
    [529, "overloaded"],
    [400, "format"],
  ];
  for (const [status, reason, headers] of cases) {
    it(`classifies HTTP ${status} as ${reason}`, async () => {
      llm.script({ status, ...(headers ? { headers } : {}) });
      const e = oa();
      const err = await failure(factory.clientFor(e).chat(target(e), hello));
      expect(err.reason).toBe(reason);
      expect(err.status).toBe(status);
      if (headers) expect(err.retryAfterMs).toBe(7000);
      expect(err.message).not.toContain("sk-test-secret-key-123456");
    });
  }

  it("classifies a context-length 400 as context_overflow", async () => {
    llm.script({ status: 400, body: { error: { message: "This model's maximum context length is 8192 tokens.", type: "invalid_request_error", code: "context_length_exceeded" } } });
    const e = oa();
    expect((await failure(factory.clientFor(e).chat(target(e), hello))).reason).toBe("context_overflow");
  });

  it("times out after request_timeout", async () => {
    llm.script({ delayMs: 800 });
    const e = oa({ requestTimeoutMs: 150 });
    expect((await failure(factory.clientFor(e).chat(target(e), hello))).reason).toBe("timeout");
  });

  it("reports a reset connection and a cut stream as network failures", async () => {
    llm.script({ resetConnection: true });
    const e = oa();
    expect((await failure(factory.clientFor(e).chat(target(e), hello))).reason).toBe("network");
    llm.script({ stream: true, reply: "a long streamed answer here", cutStreamAfter: 2 });
    expect((await failure(collect(factory.clientFor(e).stream(target(e), hello)))).reason).toBe("network");
  });

  it("times out a stream that goes silent mid-way, on both protocols", async () => {
    for (const e of [oa({ requestTimeoutMs: 300 }), an({ requestTimeoutMs: 300 })]) {
      llm.script({ stream: true, reply: "the start of an answer that never ends", stallStreamAfter: 2 });
      const err = await failure(collect(factory.clientFor(e).stream(target(e), hello)));
      expect(err.reason).toBe("timeout");
      expect(err.message).toMatch(/went silent/);
    }
  });

  it("treats a malformed 200 body as a server error (falls back), not a format error", async () => {
    llm.script({ malformed: true });
    const e = oa();
    const err = await failure(factory.clientFor(e).chat(target(e), hello));
    expect(["server_error", "network"]).toContain(err.reason);
  });

  it("reports the caller's cancel as aborted", async () => {
    llm.script({ delayMs: 1000 });
    const e = oa();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    expect((await failure(factory.clientFor(e).chat(target(e), { ...hello, signal: ac.signal }))).reason).toBe("aborted");
  });

  it("reports the caller's cancel of a stream as aborted, before its first event and mid-way, and the next call still works", async () => {
    const e = oa();
    llm.script({ stream: true, reply: "never sent", delayMs: 1000 });
    const early = new AbortController();
    setTimeout(() => early.abort(), 50);
    expect((await failure(collect(factory.clientFor(e).stream(target(e), { ...hello, signal: early.signal })))).reason).toBe("aborted");

    llm.script({ stream: true, reply: "one two three four five six", eventDelayMs: 300 });
    const late = new AbortController();
    const seen: ChatDelta[] = [];
    const err = await failure(
      (async () => {
        for await (const d of factory.clientFor(e).stream(target(e), { ...hello, signal: late.signal })) {
          seen.push(d);
          late.abort();
        }
      })(),
    );
    expect(err.reason).toBe("aborted");
    expect(seen.length).toBeGreaterThan(0);
    expect((await factory.clientFor(e).chat(target(e), hello)).content).toBe("ok");
  });

  it("gives each key its own client and a reloaded entry a fresh one: no header of one reaches another's requests", async () => {
    const e = oa({ apiKeys: ["sk-first-key-1111111111", "sk-second-key-222222222"], customHeaders: { "X-Team": "red" } });
    await factory.clientFor(e).chat(target(e, 0), hello);
    await factory.clientFor(e).chat(target(e, 1), hello);
    // a reload builds a new entry: same id, the header gone
    const reloaded = oa({ apiKeys: ["sk-first-key-1111111111"] });
    await factory.clientFor(reloaded).chat(target(reloaded, 0), hello);
    await factory.clientFor(e).chat(target(e, 0), hello);
    expect(llm.requests.map((r) => [r.headers.authorization, r.headers["x-team"]])).toEqual([
      ["Bearer sk-first-key-1111111111", "red"],
      ["Bearer sk-second-key-222222222", "red"],
      ["Bearer sk-first-key-1111111111", undefined],
      ["Bearer sk-first-key-1111111111", "red"],
    ]);
  });

  it("fails a call with no api_base as a format error every time (a failed client is not kept)", async () => {
    const e = oa({ apiBase: "" });
    for (let i = 0; i < 2; i++) {
      const err = await failure(factory.clientFor(e).chat(target(e), hello));
      expect(err.reason).toBe("format");
      expect(err.message).toMatch(/api_base/);
    }
  });

  it("reports a refused connection as network", async () => {
    const e = oa({ apiBase: "http://127.0.0.1:9/v1" });
    expect((await failure(factory.clientFor(e).chat(target(e), hello))).reason).toBe("network");
  });
});

describe("Azure OpenAI", () => {
  it("calls the deployment with api-key and api-version", async () => {
    const e = oa({ protocol: "azure", apiBase: `${llm.url}/openai/deployments/gpt-4`, modelId: "gpt-4", apiVersion: "2024-06-01" });
    await factory.clientFor(e).chat(target(e), hello);
    const req = llm.requests[0]!;
    expect(req.path).toBe("/openai/deployments/gpt-4/chat/completions");
    expect(req.headers["api-key"]).toBe("sk-test-secret-key-123456");
  });
});

describe("Anthropic messages client", () => {
  it("splits the system prompt, sends tools as input_schema and reads tool_use", async () => {
    llm.script({ toolCalls: [{ name: "web_fetch", arguments: { url: "https://x.y" }, id: "toolu_1" }] });
    const e = an();
    const res = await factory.clientFor(e).chat(target(e), { ...hello, tools: [{ name: "web_fetch", description: "fetch", parameters: { type: "object" } }] });
    expect(res).toMatchObject({ finishReason: "tool_calls", toolCalls: [{ id: "toolu_1", name: "web_fetch", arguments: '{"url":"https://x.y"}' }] });
    const req = llm.requests[0]!;
    expect(req.path).toBe("/v1/messages");
    expect(req.headers["x-api-key"]).toBe("sk-test-secret-key-123456");
    expect(req.body).toMatchObject({ model: "claude-x", system: "be brief", max_tokens: 4096, messages: [{ role: "user", content: [{ type: "text", text: "hello" }] }], tools: [{ name: "web_fetch", input_schema: { type: "object" } }] });
  });

  it("sends tool results as tool_result blocks in a user turn", async () => {
    const e = an();
    await factory.clientFor(e).chat(target(e), {
      messages: [
        { role: "user", content: "go" },
        { role: "assistant", content: "", toolCalls: [{ id: "toolu_1", name: "t", arguments: '{"a":1}' }] },
        { role: "tool", content: "done", toolCallId: "toolu_1" },
      ],
    });
    expect(llm.requests[0]!.body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "go" }] },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "t", input: { a: 1 } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "done" }] },
    ]);
  });

  it("streams text and tool input", async () => {
    llm.script({ stream: true, reply: "thinking aloud", toolCalls: [{ name: "t", arguments: { q: 1 } }] });
    const e = an();
    const deltas = await collect(factory.clientFor(e).stream(target(e), hello));
    const done = deltas.at(-1) as { type: "done"; result: { content: string; toolCalls: unknown[]; usage: unknown } };
    expect(done.result).toMatchObject({ content: "thinking aloud", toolCalls: [{ name: "t", arguments: '{"q":1}' }], usage: { promptTokens: 10, completionTokens: 5 } });
  });

  it("classifies 529 overloaded and prompt-too-long", async () => {
    const e = an();
    llm.script({ status: 529 });
    expect((await failure(factory.clientFor(e).chat(target(e), hello))).reason).toBe("overloaded");
    llm.script({ status: 400, body: { type: "error", error: { type: "invalid_request_error", message: "prompt is too long: 210000 tokens > 200000 maximum" } } });
    expect((await failure(factory.clientFor(e).chat(target(e), hello))).reason).toBe("context_overflow");
  });
});

describe("per-entry proxy", () => {
  let proxy: Server;
  let proxied = 0;
  beforeAll(async () => {
    // a CONNECT-capable forward proxy that counts tunnels and plain requests
    proxy = createServer((req, res) => {
      proxied++;
      const url = new URL(req.url!);
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        const r = await fetch(url, { method: req.method!, headers: req.headers as Record<string, string>, body: chunks.length ? Buffer.concat(chunks) : null });
        res.writeHead(r.status, Object.fromEntries(r.headers)).end(Buffer.from(await r.arrayBuffer()));
      });
    });
    proxy.on("connect", (req, socket) => {
      proxied++;
      const [host, port] = req.url!.split(":");
      const up = connect(Number(port), host!, () => {
        socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        up.pipe(socket).pipe(up);
      });
      up.on("error", () => socket.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  });
  afterAll(() => new Promise<void>((r) => proxy.close(() => r())));

  it("sends the request through the entry's proxy", async () => {
    const e = oa({ id: "proxied#0", proxy: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` });
    const before = proxied;
    const res = await factory.clientFor(e).chat(target(e), hello);
    expect(res.content).toBe("ok");
    expect(proxied).toBeGreaterThan(before);
  });

  it("cancels a call through the entry's proxy as aborted", async () => {
    llm.script({ delayMs: 1000 });
    const e = oa({ id: "proxied#1", proxy: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    // had the cancel not reached the call through the proxy, the model's "ok" would come after 1 s
    expect((await failure(factory.clientFor(e).chat(target(e), { ...hello, signal: ac.signal }))).reason).toBe("aborted");
  });
});

// The reusing openai client (src/providers/protocols/openai-request.ts) must send what the stock
// SDK client sends, on its first request (which builds the template) and on every later one;
// requests outside the plain case keep the SDK's own building.
