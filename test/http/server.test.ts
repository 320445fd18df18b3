// The HTTP server's own routes and access checks, through fastify inject.
import { afterEach, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { buildHttpServer, startHttpServer, type HttpServerOptions } from "../../src/http/server.ts";
import { serverOptions } from "./api-harness.ts";

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function build(over: Partial<HttpServerOptions> = {}): Promise<FastifyInstance> {
  ({ app } = await buildHttpServer(serverOptions(over)));
  return app;
}

const local = { host: "127.0.0.1:18790" };

describe("http server", () => {
  it("serves health, readiness with detail, status and metrics", async () => {
    let ready = false;
    const a = await build({ readiness: () => ({ ready, detail: { store: "open", telegram: ready ? "online" : "connecting" } }) });
    expect((await a.inject({ url: "/health", headers: local })).statusCode).toBe(200);
    const notReady = await a.inject({ url: "/ready", headers: local });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toEqual({ ready: false, store: "open", telegram: "connecting" });
    ready = true;
    expect((await a.inject({ url: "/ready", headers: local })).statusCode).toBe(200);
    expect((await a.inject({ url: "/status", headers: local })).json()).toEqual({ version: "test" });
    const metrics = await a.inject({ url: "/metrics", headers: local });
    expect(metrics.headers["content-type"]).toMatch(/text\/plain/);
    expect(metrics.body).toContain("switchboard_up 1");
  });

  it("refuses a non-loopback bind without a token", async () => {
    await expect(build({ host: "0.0.0.0" })).rejects.toThrow(/gateway\.token/);
    await expect(startHttpServer(serverOptions({ host: "0.0.0.0" }))).rejects.toThrow(/gateway\.token/);
  });

  it("guards status and metrics with the bearer token, and leaves /health open", async () => {
    const a = await build({ token: "s3cret-token" });
    const missing = await a.inject({ url: "/status", headers: local });
    expect(missing.statusCode).toBe(401);
    expect(missing.headers["www-authenticate"]).toBe("Bearer");
    expect(missing.json().error).toMatchObject({ code: "invalid_api_key", message: expect.stringMatching(/missing bearer token/) });
    const wrong = await a.inject({ url: "/status", headers: { ...local, authorization: "Bearer wrong" } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).not.toContain("s3cret");
    expect((await a.inject({ url: "/status", headers: { ...local, authorization: "Bearer s3cret-token" } })).statusCode).toBe(200);
    expect((await a.inject({ url: "/metrics", headers: local })).statusCode).toBe(401);
    expect((await a.inject({ url: "/health", headers: local })).statusCode).toBe(200);
  });

  it("without a token serves only loopback Host names (DNS rebinding), with any port", async () => {
    const a = await build();
    for (const host of ["localhost", "localhost:18790", "127.0.0.1", "127.0.0.1:80", "[::1]", "[::1]:18790", "LOCALHOST:1"]) {
      expect((await a.inject({ url: "/status", headers: { host } })).statusCode, host).toBe(200);
    }
    for (const host of ["evil.example", "evil.example:18790", "localhost.evil.example", "127.0.0.1.nip.io"]) {
      const res = await a.inject({ url: "/status", headers: { host } });
      expect(res.statusCode, host).toBe(403);
      expect(res.json().error).toMatchObject({ code: "host_not_allowed", message: expect.stringMatching(/gateway\.allowed_hosts/) });
    }
    // supervisors probe health by whatever name they use
    expect((await a.inject({ url: "/health", headers: { host: "evil.example" } })).statusCode).toBe(200);
  });

  it("serves gateway.allowed_hosts, and any Host once a token is set", async () => {
    const a = await build({ allowedHosts: ["gateway.lan", "[fd00::1]"] });
    expect((await a.inject({ url: "/status", headers: { host: "gateway.lan:18790" } })).statusCode).toBe(200);
    expect((await a.inject({ url: "/status", headers: { host: "[fd00::1]:18790" } })).statusCode).toBe(200);
    expect((await a.inject({ url: "/status", headers: { host: "other.lan" } })).statusCode).toBe(403);
    await app!.close();
    const t = await build({ token: "tok-123456" });
    expect((await t.inject({ url: "/status", headers: { host: "gateway.example.com", authorization: "Bearer tok-123456" } })).statusCode).toBe(200);
  });

  it("reads the access policy live, so a changed token applies to the next request", async () => {
    let token: string | undefined = "first-token";
    const a = await build({ access: () => ({ ...(token ? { token } : {}) }) });
    const get = (auth?: string) => a.inject({ url: "/status", headers: { ...local, ...(auth ? { authorization: `Bearer ${auth}` } : {}) } });
    expect((await get("first-token")).statusCode).toBe(200);
    token = "second-token";
    expect((await get("first-token")).statusCode).toBe(401);
    expect((await get("second-token")).statusCode).toBe(200);
  });

  it("has CORS off by default and answers preflights only for configured origins", async () => {
    const off = await build();
    const none = await off.inject({ method: "OPTIONS", url: "/v1/models", headers: { ...local, origin: "http://localhost:3000", "access-control-request-method": "POST" } });
    expect(none.headers["access-control-allow-origin"]).toBeUndefined();
    expect((await off.inject({ url: "/status", headers: { ...local, origin: "http://localhost:3000" } })).headers["access-control-allow-origin"]).toBeUndefined();
    await app!.close();

    const on = await build({ corsOrigins: ["http://localhost:3000"], token: "tok-123456" });
    const pre = await on.inject({
      method: "OPTIONS",
      url: "/v1/chat/completions",
      headers: { ...local, origin: "http://localhost:3000", "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
    });
    expect(pre.statusCode).toBe(204);
    expect(pre.headers["access-control-allow-origin"]).toBe("http://localhost:3000");
    expect(pre.headers["access-control-allow-methods"]).toContain("POST");
    expect(pre.headers["access-control-allow-headers"]).toBe("authorization, content-type");
    const get = await on.inject({ url: "/status", headers: { ...local, origin: "http://localhost:3000", authorization: "Bearer tok-123456" } });
    expect(get.headers["access-control-allow-origin"]).toBe("http://localhost:3000");
    expect(get.headers.vary).toMatch(/Origin/);
    const foreign = await on.inject({ url: "/status", headers: { ...local, origin: "http://evil.example", authorization: "Bearer tok-123456" } });
    expect(foreign.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("lets other modules add routes behind the same token check", async () => {
    const a = await build({ token: "tok-123456", routes: (app, guards) => app.post("/reload", { preHandler: guards.requireToken }, async () => ({ ok: true })) });
    expect((await a.inject({ method: "POST", url: "/reload", headers: local })).statusCode).toBe(401);
    expect((await a.inject({ method: "POST", url: "/reload", headers: { ...local, authorization: "Bearer tok-123456" } })).json()).toEqual({ ok: true });
  });

  it("answers unknown routes and malformed JSON with OpenAI-style error bodies", async () => {
    const a = await build({ routes: (app) => app.post("/echo", async (req) => req.body) });
    const missing = await a.inject({ url: "/nope", headers: local });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatchObject({ type: "not_found_error" });
    const bad = await a.inject({ method: "POST", url: "/echo", headers: { ...local, "content-type": "application/json" }, payload: '{"a":' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ type: "invalid_request_error", message: expect.stringMatching(/JSON/i) });
  });

  it("hands webhooks the raw bytes, under any Host (the adapter checks the platform's secret)", async () => {
    const calls: string[] = [];
    const adapter = {
      id: "test",
      capabilities: { maxTextLength: 1, format: "plain" as const, typing: false, edit: false, voiceIn: false },
      start: async () => undefined,
      stop: async () => undefined,
      send: async () => ({ messageId: "1" }),
      handleWebhook: async (_h: unknown, body: Buffer) => (calls.push(body.toString()), { status: 200, body: "ok" }),
    };
    const a = await build({ webhooks: { routes: [{ id: "test", path: "/webhook/test" }], live: () => adapter } });
    const ok = await a.inject({ method: "POST", url: "/webhook/test", headers: { ...local, "content-type": "application/json" }, payload: '{"a": 1}' });
    expect(ok.statusCode).toBe(200);
    // platforms call webhooks under the gateway's public name; the handler checks their secret
    const tunnel = await a.inject({ method: "POST", url: "/webhook/test", headers: { host: "bot.example.com", "content-type": "application/json" }, payload: '{"b":2}' });
    expect(tunnel.statusCode).toBe(200);
    expect(calls).toEqual(['{"a": 1}', '{"b":2}']);
  });
});
