import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/logger.ts";
import { startHttpServer, type HttpServerOptions, type RunningHttpServer } from "../../src/http/server.ts";

let server: RunningHttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(over: Partial<HttpServerOptions> = {}): Promise<RunningHttpServer> {
  server = await startHttpServer({
    host: "127.0.0.1",
    port: 0,
    logger: silentLogger(),
    readiness: () => ({ ready: true, detail: { store: "open" } }),
    status: () => ({ version: "test" }),
    metrics: () => "switchboard_up 1\n",
    ...over,
  });
  return server;
}

describe("http server", () => {
  it("serves health, readiness with detail, status and metrics", async () => {
    let ready = false;
    const s = await start({ readiness: () => ({ ready, detail: { store: "open", telegram: ready ? "online" : "connecting" } }) });
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
    const notReady = await fetch(`${s.url}/ready`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ready: false, store: "open", telegram: "connecting" });
    ready = true;
    expect((await fetch(`${s.url}/ready`)).status).toBe(200);
    expect(await (await fetch(`${s.url}/status`)).json()).toEqual({ version: "test" });
    const metrics = await fetch(`${s.url}/metrics`);
    expect(metrics.headers.get("content-type")).toMatch(/text\/plain/);
    expect(await metrics.text()).toContain("switchboard_up 1");
  });

  it("refuses a non-loopback bind without a token", async () => {
    await expect(start({ host: "0.0.0.0" })).rejects.toThrow(/gateway\.token/);
  });

  it("guards status and the API with the bearer token", async () => {
    const s = await start({ token: "s3cret-token", chat: async () => ({ text: "hi", model: "m" }) });
    expect((await fetch(`${s.url}/status`)).status).toBe(401);
    expect((await fetch(`${s.url}/status`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    expect((await fetch(`${s.url}/status`, { headers: { authorization: "Bearer s3cret-token" } })).status).toBe(200);
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
  });

  it("answers OpenAI-style chat completions through the agent, with sessions from `user`", async () => {
    const seen: { sessionId: string; text: string; model?: string }[] = [];
    const s = await start({
      chat: async (r) => {
        seen.push({ sessionId: r.sessionId, text: r.text, ...(r.model ? { model: r.model } : {}) });
        return { text: `echo: ${r.text}`, model: "glm-4.7" };
      },
    });
    const res = await fetch(`${s.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "switchboard", user: "alice", messages: [{ role: "system", content: "x" }, { role: "user", content: "hello" }] }),
    });
    expect(res.status).toBe(200);
    const json = (await res.json()) as { object: string; choices: { message: { content: string } }[]; model: string };
    expect(json.object).toBe("chat.completion");
    expect(json.choices[0]!.message.content).toBe("echo: hello");
    expect(json.model).toBe("glm-4.7");
    expect(seen).toEqual([{ sessionId: "alice", text: "hello" }]);
  });

  it("streams chat completions as server-sent events ending in [DONE]", async () => {
    const s = await start({ chat: async (r) => ({ text: `re: ${r.text}`, model: "m" }) });
    const res = await fetch(`${s.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ stream: true, messages: [{ role: "user", content: [{ type: "text", text: "parts" }] }] }),
    });
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const body = await res.text();
    const events = body.split("\n\n").filter(Boolean).map((e) => e.replace(/^data: /, ""));
    expect(events.at(-1)).toBe("[DONE]");
    const first = JSON.parse(events[0]!) as { choices: { delta: { content: string } }[] };
    expect(first.choices[0]!.delta.content).toBe("re: parts");
  });

  it("rejects malformed bodies with a 4xx naming the problem, without running a turn", async () => {
    let turns = 0;
    const s = await start({ chat: async () => (turns++, { text: "", model: "m" }) });
    const post = (body: string) => fetch(`${s.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body });
    const broken = await post("{not json");
    expect(broken.status).toBe(400);
    const empty = await post(JSON.stringify({ messages: [] }));
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: { message: string } }).error.message).toMatch(/messages/);
    const noUser = await post(JSON.stringify({ messages: [{ role: "system", content: "x" }] }));
    expect(noUser.status).toBe(400);
    expect(turns).toBe(0);
  });

  it("reports an upstream failure as 502 with the router's one-line reason", async () => {
    const s = await start({ chat: async () => { throw new Error("all 2 attempts failed: a#0 rate_limit (429)"); } });
    const res = await fetch(`${s.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ messages: [{ role: "user", content: "x" }] }) });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/rate_limit/);
  });

  it("routes webhooks to their handlers and rejects malformed JSON before them", async () => {
    const calls: unknown[] = [];
    const s = await start({ webhooks: new Map([["/webhook/test", async (_h, body) => (calls.push(body), { status: 200, body: "ok" })]]) });
    const ok = await fetch(`${s.url}/webhook/test`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"a":1}' });
    expect(ok.status).toBe(200);
    const bad = await fetch(`${s.url}/webhook/test`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"a":' });
    expect(bad.status).toBe(400);
    expect(calls).toEqual([{ a: 1 }]);
  });
});
