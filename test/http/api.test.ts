// POST /v1/chat/completions and GET /v1/models through fastify inject, over
// the real agent, router and OpenAI protocol client against the fake LLM.
import { describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { ToolRegistry } from "../../src/tools/registry.ts";
import { built, harness, sentMessages } from "./api-harness.ts";

const local = { host: "localhost:18790", "content-type": "application/json" };
const PNG = Buffer.from("89504e470d0a1a0a", "hex");

type Completion = { choices: { message: { content: string }; finish_reason: string }[]; usage: Record<string, number>; model: string };

function chat(app: FastifyInstance, payload: unknown, headers: Record<string, string> = {}) {
  return app.inject({ method: "POST", url: "/v1/chat/completions", headers: { ...local, ...headers }, payload: payload as object });
}

function sseEvents(body: string): string[] {
  return body.split("\n\n").filter(Boolean).map((e) => e.replace(/^data: /, ""));
}

describe("chat completions: the request's messages are the conversation", () => {
  it("sends system, history and tool messages to the model in order, the workspace prompt first", async () => {
    const h = await harness();
    h.llm.script({ reply: "Paris, again.", usage: { prompt: 42, completion: 3 } });
    const app = await built(h);
    const res = await chat(app, {
      model: "fast",
      messages: [
        { role: "system", content: "Answer in one line." },
        { role: "user", content: "Capital of France?" },
        { role: "assistant", content: "Paris." },
        { role: "developer", content: [{ type: "text", text: "Be terse." }] },
        { role: "user", content: [{ type: "text", text: "And again?" }, { type: "image_url", image_url: { url: `data:image/png;base64,${PNG.toString("base64")}` } }] },
      ],
    });
    expect(res.statusCode).toBe(200);
    const json = res.json() as Completion;
    expect(json.choices[0]!.message.content).toBe("Paris, again.");
    expect(json.choices[0]!.finish_reason).toBe("stop");
    expect(json.usage).toEqual({ prompt_tokens: 42, completion_tokens: 3, total_tokens: 45 });
    expect(json.model).toBe("fast");
    const sent = sentMessages(h.llm, 0);
    expect(sent.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    const system = String(sent[0]!.content);
    // the workspace prompt, then the client's system messages in order
    expect(system.indexOf("Answer in one line.")).toBeGreaterThan(0);
    expect(system.endsWith("Answer in one line.\n\nBe terse.")).toBe(true);
    expect(sent[1]!.content).toBe("Capital of France?");
    expect(sent[2]!.content).toBe("Paris.");
    expect(sent[3]!.content).toEqual([
      { type: "text", text: "And again?" },
      { type: "image_url", image_url: { url: `data:image/png;base64,${PNG.toString("base64")}` } },
    ]);
  });

  it("keeps nothing between stateless requests: a fresh chat never carries another's messages", async () => {
    const h = await harness({ userSessions: false });
    const app = await built(h);
    const post = (text: string, extra: Record<string, unknown> = {}) =>
      chat(app, { messages: [{ role: "user", content: text }], ...extra });
    expect((await post("my secret is 1234")).statusCode).toBe(200);
    // `user` names no session unless gateway.api.user_sessions is on
    expect((await post("what is my secret?", { user: "alice" })).statusCode).toBe(200);
    const second = sentMessages(h.llm, 1);
    expect(JSON.stringify(second)).not.toContain("1234");
    expect(second.filter((m) => m.role !== "system")).toEqual([{ role: "user", content: "what is my secret?" }]);
    expect(h.sessions.listSessions()).toEqual([]);
  });

  it("keeps a persistent session only for a caller that names one", async () => {
    const h = await harness({ userSessions: true });
    h.llm.script({ reply: "noted" }, { reply: "it is blue" }, { reply: "no idea" }, { reply: "hi bob" });
    const app = await built(h);
    const post = (text: string, headers: Record<string, string> = {}, extra: Record<string, unknown> = {}) =>
      chat(app, { messages: [{ role: "user", content: text }], ...extra }, headers);
    await post("my favourite colour is blue", { "x-switchboard-session": "alice-phone" });
    await post("what is my favourite colour?", { "x-switchboard-session": "alice-phone" });
    expect(sentMessages(h.llm, 1).filter((m) => m.role !== "system")).toEqual([
      { role: "user", content: "my favourite colour is blue" },
      { role: "assistant", content: "noted" },
      { role: "user", content: "what is my favourite colour?" },
    ]);
    // another session, and a stateless caller, see none of it
    await post("what is my favourite colour?", { "x-switchboard-session": "bob" });
    expect(JSON.stringify(sentMessages(h.llm, 2))).not.toContain("blue");
    // with gateway.api.user_sessions, `user` names a session too
    await post("hello", {}, { user: "alice-phone" });
    expect(JSON.stringify(sentMessages(h.llm, 3))).toContain("it is blue");
    const bad = await post("x", { "x-switchboard-session": " " });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.param).toBe("x-switchboard-session");
  });
});

describe("chat completions: models and client mistakes", () => {
  it("takes a model_name, an alias, `switchboard` or nothing, and lists them at /v1/models", async () => {
    const h = await harness();
    const app = await built(h);
    const post = (model?: string) =>
      chat(app, { ...(model ? { model } : {}), messages: [{ role: "user", content: "hi" }] });
    for (const [model, wire] of [[undefined, "fake-fast"], ["switchboard", "fake-fast"], ["other", "fake-other"], ["second", "fake-other"]] as const) {
      const res = await post(model);
      expect(res.statusCode, String(model)).toBe(200);
      expect(h.llm.requests.at(-1)!.body.model).toBe(wire);
    }
    const list = await app.inject({ url: "/v1/models", headers: local });
    expect(list.json()).toEqual({
      object: "list",
      data: ["switchboard", "fast", "other", "second"].map((id) => ({ id, object: "model", created: 0, owned_by: "switchboard" })),
    });
    expect((await app.inject({ url: "/v1/models/other", headers: local })).json()).toMatchObject({ id: "other", object: "model" });
    expect((await app.inject({ url: "/v1/models/gpt-9", headers: local })).statusCode).toBe(404);
  });

  it("answers an unknown model with 404 model_not_found, without calling any model", async () => {
    const h = await harness();
    const app = await built(h);
    for (const model of ["gpt-9", "openai/gpt-4o"]) {
      const res = await chat(app, { model, messages: [{ role: "user", content: "hi" }] });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: { message: expect.stringContaining(`\`${model}\``), type: "invalid_request_error", param: "model", code: "model_not_found" } });
    }
    expect(h.llm.requests).toHaveLength(0);
  });

  it("answers a bad body with 400 invalid_request_error naming the field", async () => {
    const h = await harness();
    const app = await built(h);
    const post = (payload: unknown) => chat(app, JSON.stringify(payload));
    const cases: [unknown, string, RegExp][] = [
      [{ messages: [] }, "messages", /at least one/],
      [{ model: "fast" }, "messages", /messages/],
      [{ messages: [{ role: "wizard", content: "x" }] }, "messages[0].role", /role/],
      [{ messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "file:///etc/passwd" } }] }] }, "messages[0].content[0].image_url.url", /data:image/],
      [{ messages: [{ role: "tool", content: "x" }] }, "messages[0].tool_call_id", /./],
      [{ messages: [{ role: "user", content: "x" }], stream: "yes" }, "stream", /boolean/],
      [{ messages: [{ role: "user", content: "x" }], tools: [{ type: "function", function: { name: "f" } }] }, "tools", /agent runs its own tools/],
      [{ messages: [{ role: "system", content: "only instructions" }] }, "messages", /user message/],
    ];
    for (const [payload, param, message] of cases) {
      const res = await post(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      const error = res.json().error;
      expect(error.type).toBe("invalid_request_error");
      expect(error.param, JSON.stringify(payload)).toBe(param);
      expect(error.message).toMatch(message);
    }
    const broken = await chat(app, "{not json");
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error.type).toBe("invalid_request_error");
    expect(h.llm.requests).toHaveLength(0);
  });
});

describe("chat completions: upstream failures", () => {
  it("a rate-limited model is a 503 with Retry-After; a rejected key upstream is a 502 that says so", async () => {
    const h = await harness();
    const app = await built(h);
    const post = () => chat(app, { messages: [{ role: "user", content: "hi" }] });
    h.llm.script({ status: 429, headers: { "retry-after": "120" } });
    const limited = await post();
    expect(limited.statusCode).toBe(503);
    expect(limited.json().error).toMatchObject({ type: "server_error", code: "rate_limited" });
    expect(Number(limited.headers["retry-after"])).toBeGreaterThanOrEqual(1);

    const h2 = await harness();
    const app2 = await built(h2);
    h2.llm.script({ status: 401 });
    const auth = await chat(app2, { messages: [{ role: "user", content: "hi" }] });
    expect(auth.statusCode).toBe(502);
    expect(auth.json().error).toMatchObject({ code: "upstream_auth", message: expect.stringMatching(/api_key/) });
    expect(auth.body).not.toContain("sk-test");
  });
});

describe("chat completions: streaming, tools and media", () => {
  it("streams OpenAI chunks ending in [DONE], with a usage chunk when asked", async () => {
    const h = await harness();
    h.llm.script({ reply: "Hello from the stream", usage: { prompt: 20, completion: 4 } });
    const app = await built(h);
    const res = await chat(app, { stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "hi" }] });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/text\/event-stream/);
    const events = sseEvents(res.body);
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as { object: string; choices: { delta: { content?: string }; finish_reason: string | null }[]; usage: unknown });
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    // the fake model sends five characters per event: several content deltas, not one
    const contents = chunks.flatMap((c) => c.choices.map((ch) => ch.delta.content ?? "")).filter(Boolean);
    expect(contents.length).toBeGreaterThan(2);
    expect(contents.join("")).toBe("Hello from the stream");
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe("stop");
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 20, completion_tokens: 4, total_tokens: 24 } });
  });

  it("keeps tool activity out of the content, sums usage over the turn, and returns the images tools made", async () => {
    const tools = new ToolRegistry().register({
      name: "draw",
      description: "draws a picture",
      schema: z.object({ what: z.string() }),
      run: async () => ({ text: "drawn", media: [{ kind: "image", mimeType: "image/png", data: PNG }] }),
    });
    const h = await harness({ tools });
    const app = await built(h);
    const ask = async (stream: boolean) => {
      h.llm.script(
        { toolCalls: [{ name: "draw", arguments: { what: "a cat" } }], usage: { prompt: 10, completion: 2 } },
        { reply: "Here is your cat.", usage: { prompt: 15, completion: 4 } },
      );
      return chat(app, { stream, ...(stream ? { stream_options: { include_usage: true } } : {}), messages: [{ role: "user", content: "draw a cat" }] });
    };
    const image = `![image 1](data:image/png;base64,${PNG.toString("base64")})`;
    const whole = (await ask(false)).json() as Completion;
    expect(whole.choices[0]!.message.content).toBe(`Here is your cat.\n\n${image}`);
    expect(whole.usage).toEqual({ prompt_tokens: 25, completion_tokens: 6, total_tokens: 31 });

    const events = sseEvents((await ask(true)).body).slice(0, -1).map((e) => JSON.parse(e) as { choices: { delta: Record<string, unknown> }[]; usage?: unknown });
    const text = events.flatMap((c) => c.choices.map((ch) => String(ch.delta.content ?? ""))).join("");
    expect(text).toBe(`Here is your cat.\n\n${image}`);
    expect(JSON.stringify(events)).not.toMatch(/tool_calls|"draw"|a cat/);
    expect(events.at(-1)!.usage).toEqual({ prompt_tokens: 25, completion_tokens: 6, total_tokens: 31 });
  });

  it("separates the text a model writes before and after a tool step with a blank line", async () => {
    const tools = new ToolRegistry().register({ name: "look", description: "looks", schema: z.object({}), run: async () => "seen" });
    const h = await harness({ tools });
    h.llm.script({ reply: "Let me look.", toolCalls: [{ name: "look", arguments: {} }] }, { reply: "Found it." });
    const app = await built(h);
    const res = await chat(app, { stream: true, messages: [{ role: "user", content: "look" }] });
    const events = sseEvents(res.body).slice(0, -1).map((e) => JSON.parse(e) as { choices: { delta: { content?: string } }[] });
    expect(events.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("Let me look.\n\nFound it.");
    // the tool's result went to the model, not to the client
    expect(JSON.stringify(sentMessages(h.llm, 1))).toContain("seen");
    expect(res.body).not.toContain("seen");
  });

  it("a stream that fails before its first delta gets a real HTTP error, not a 200", async () => {
    const h = await harness();
    h.llm.script({ status: 401 });
    const app = await built(h);
    const res = await chat(app, { stream: true, messages: [{ role: "user", content: "hi" }] });
    expect(res.statusCode).toBe(502);
    expect(res.json().error.code).toBe("upstream_auth");
  });
});
