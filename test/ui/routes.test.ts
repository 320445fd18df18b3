// The control page's HTTP side through fastify inject: nothing without
// logging in when a token is set, cookie flags, CSRF on every action,
// one-time links, the Host check without a token, and the assets.
import { afterEach, describe, expect, it } from "vitest";
import { buildHttpServer, type BuiltHttpServer } from "../../src/http/server.ts";
import { registerControlPage } from "../../src/ui/routes.ts";
import { FakeSurface } from "./surface-fake.ts";

const silent = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, fatal() {}, child() { return silent; } } as never;
let server: BuiltHttpServer | undefined;
afterEach(async () => {
  await server?.app.close();
  server = undefined;
});

async function build(token: string | undefined, surface = new FakeSurface()) {
  server = await buildHttpServer({
    host: "127.0.0.1",
    port: 0,
    ...(token ? { token } : {}),
    logger: silent,
    readiness: () => ({ ready: true, detail: {} }),
    status: () => ({}),
    metrics: () => "",
    routes: (app, guards) => void registerControlPage(app, guards, { surface: () => surface, token: () => token }),
  });
  return { app: server.app, surface };
}

async function login(app: BuiltHttpServer["app"], token: string) {
  const res = await app.inject({ method: "POST", url: "/ui/login", headers: { host: "gw.example.com" }, payload: { token } });
  expect(res.statusCode).toBe(200);
  const cookie = String(res.headers["set-cookie"]).split(";")[0]!;
  const state = await app.inject({ method: "GET", url: "/ui/api/state", headers: { host: "gw.example.com", cookie } });
  return { cookie, csrf: state.json().csrf as string, setCookie: String(res.headers["set-cookie"]) };
}

describe("control page with gateway.token", () => {
  it("serves the page shell but no data until logged in", async () => {
    const { app } = await build("tok-123456");
    const page = await app.inject({ method: "GET", url: "/ui", headers: { host: "gw.example.com" } });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toMatch(/text\/html/);
    expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(page.body).not.toContain("telegram");
    for (const url of ["/ui/api/state", "/ui/api/config", "/ui/api/logs", "/ui/api/events", "/ui/api/sessions/x/history", "/ui/api/channels/whatsapp/qr.svg"]) {
      const res = await app.inject({ method: "GET", url, headers: { host: "gw.example.com" } });
      expect(res.statusCode, url).toBe(401);
      expect(res.body, url).not.toMatch(/SECRET|telegram|ABCD1234/);
    }
  });

  it("logs in with the token into an HttpOnly, SameSite=Strict cookie, and refuses a wrong token", async () => {
    const { app } = await build("tok-123456");
    const wrong = await app.inject({ method: "POST", url: "/ui/login", headers: { host: "gw.example.com" }, payload: { token: "nope" } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers["set-cookie"]).toBeUndefined();
    const { cookie, csrf, setCookie } = await login(app, "tok-123456");
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\/ui/);
    expect(csrf).toMatch(/^[\w-]{20,}$/);
    const state = await app.inject({ method: "GET", url: "/ui/api/state", headers: { host: "gw.example.com", cookie } });
    expect(state.json().channels.map((c: { id: string }) => c.id)).toEqual(["telegram", "whatsapp"]);
    expect(state.body).not.toContain("2@pairing-ref"); // the QR payload is only served as an image
  });

  it("needs the CSRF token on every action", async () => {
    const { app, surface } = await build("tok-123456");
    const { cookie, csrf } = await login(app, "tok-123456");
    const actions: [string, unknown][] = [
      ["/ui/api/channels/telegram/restart", {}],
      ["/ui/api/models/e1/clear-cooldown", {}],
      ["/ui/api/sessions/telegram%3A42/reset", {}],
      ["/ui/api/pairing/approve", { channel: "telegram", code: "ABCD1234" }],
      ["/ui/api/pairing/deny", { channel: "telegram", code: "ABCD1234" }],
      ["/ui/api/pairing/revoke", { channel: "telegram", senderId: "42" }],
      ["/ui/api/cron/j1/run", {}],
      ["/ui/api/config/apply", { text: "{}" }],
    ];
    for (const [url, payload] of actions) {
      const without = await app.inject({ method: "POST", url, headers: { host: "gw.example.com", cookie }, payload: payload as object });
      expect(without.statusCode, url).toBe(403);
      const forged = await app.inject({ method: "POST", url, headers: { host: "gw.example.com", cookie, "x-csrf-token": "forged-token-value-xxxxxx" }, payload: payload as object });
      expect(forged.statusCode, url).toBe(403);
    }
    expect(surface.calls).toEqual([]);
    for (const [url, payload] of actions) {
      const res = await app.inject({ method: "POST", url, headers: { host: "gw.example.com", cookie, "x-csrf-token": csrf }, payload: payload as object });
      expect(res.statusCode, url).toBe(200);
    }
    expect(surface.calls).toEqual(["restart telegram", "clear e1", "reset telegram:42", "approve telegram ABCD1234", "deny telegram ABCD1234", "revoke telegram 42", "run j1", "apply 2"]);
  });

  it("lets the CLI mint a one-time login link with the bearer token; the link works once", async () => {
    const { app } = await build("tok-123456");
    expect((await app.inject({ method: "POST", url: "/ui/one-time", headers: { host: "gw.example.com" } })).statusCode).toBe(401);
    const minted = await app.inject({ method: "POST", url: "/ui/one-time", headers: { host: "gw.example.com", authorization: "Bearer tok-123456" } });
    const { code, path } = minted.json() as { code: string; path: string };
    const first = await app.inject({ method: "GET", url: `${path}${code}`, headers: { host: "gw.example.com" } });
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toBe("/ui");
    expect(String(first.headers["set-cookie"])).toMatch(/^sb_ui=[\w-]+; Path=\/ui; HttpOnly; SameSite=Strict/);
    const again = await app.inject({ method: "GET", url: `${path}${code}`, headers: { host: "gw.example.com" } });
    expect(again.statusCode).toBe(401);
    expect(again.body).toContain("switchboard dashboard");
  });

  it("logs out: the cookie stops working", async () => {
    const { app } = await build("tok-123456");
    const { cookie } = await login(app, "tok-123456");
    await app.inject({ method: "POST", url: "/ui/logout", headers: { host: "gw.example.com", cookie } });
    expect((await app.inject({ method: "GET", url: "/ui/api/state", headers: { host: "gw.example.com", cookie } })).statusCode).toBe(401);
  });

  it("checks an edit and shows its diff", async () => {
    const { app } = await build("tok-123456");
    const { cookie, csrf } = await login(app, "tok-123456");
    const headers = { host: "gw.example.com", cookie, "x-csrf-token": csrf };
    const surface = (await app.inject({ method: "GET", url: "/ui/api/config", headers })).json() as { text: string };
    const edited = surface.text.replace('"enabled": true', '"enabled": false');
    const res = (await app.inject({ method: "POST", url: "/ui/api/config/check", headers, payload: { text: edited } })).json();
    expect(res.valid).toBe(true);
    expect(res.diff).toContain('-  "channels": { "telegram": { "enabled": true');
    expect(res.diff).toContain('+  "channels": { "telegram": { "enabled": false');
    const bad = (await app.inject({ method: "POST", url: "/ui/api/config/check", headers, payload: { text: "oops" } })).json();
    expect(bad).toMatchObject({ valid: false, errors: ["channels.oops: unknown"] });
    expect((await app.inject({ method: "POST", url: "/ui/api/config/check", headers, payload: { nope: 1 } })).statusCode).toBe(400);
  });

  it("serves the WhatsApp QR code as an SVG image", async () => {
    const { app } = await build("tok-123456");
    const { cookie } = await login(app, "tok-123456");
    const res = await app.inject({ method: "GET", url: "/ui/api/channels/whatsapp/qr.svg", headers: { host: "gw.example.com", cookie } });
    expect(res.headers["content-type"]).toMatch(/image\/svg\+xml/);
    expect(res.body).toMatch(/^<svg [^>]*viewBox="0 0 \d+ \d+"/);
    expect((await app.inject({ method: "GET", url: "/ui/api/channels/telegram/qr.svg", headers: { host: "gw.example.com", cookie } })).statusCode).toBe(404);
  });
});

describe("control page without a token", () => {
  it("is served to loopback Host names only (DNS rebinding)", async () => {
    const { app } = await build(undefined);
    expect((await app.inject({ method: "GET", url: "/ui/api/state", headers: { host: "127.0.0.1:18790" } })).statusCode).toBe(200);
    expect((await app.inject({ method: "GET", url: "/ui/api/state", headers: { host: "localhost" } })).statusCode).toBe(200);
    const foreign = await app.inject({ method: "GET", url: "/ui/api/state", headers: { host: "evil.example" } });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.body).not.toContain("telegram");
    expect((await app.inject({ method: "GET", url: "/ui", headers: { host: "evil.example" } })).statusCode).toBe(403);
  });

  it("still needs the page's CSRF token for actions", async () => {
    const { app, surface } = await build(undefined);
    const headers = { host: "localhost" };
    expect((await app.inject({ method: "POST", url: "/ui/api/channels/telegram/restart", headers })).statusCode).toBe(403);
    const csrf = (await app.inject({ method: "GET", url: "/ui/api/state", headers })).json().csrf as string;
    expect((await app.inject({ method: "POST", url: "/ui/api/channels/telegram/restart", headers: { ...headers, "x-csrf-token": csrf } })).statusCode).toBe(200);
    expect(surface.calls).toEqual(["restart telegram"]);
  });
});

describe("control page assets", () => {
  it("serves the page's modules from the package, small enough to load at once", async () => {
    const { app } = await build(undefined);
    const { gzipSync } = await import("node:zlib");
    let total = 0;
    for (const path of ["app.js", "views.js", "style.css", "vendor/preact.mjs", "vendor/hooks.mjs", "vendor/htm.mjs"]) {
      const res = await app.inject({ method: "GET", url: `/ui/assets/${path}`, headers: { host: "localhost" } });
      expect(res.statusCode, path).toBe(200);
      total += gzipSync(res.body).length;
    }
    const hooks = await app.inject({ method: "GET", url: "/ui/assets/vendor/hooks.mjs", headers: { host: "localhost" } });
    expect(hooks.body).not.toMatch(/from\s*"preact"/); // no bare import: the page needs no import map
    expect(total).toBeLessThan(50 * 1024);
    expect((await app.inject({ method: "GET", url: "/ui/assets/../../package.json", headers: { host: "localhost" } })).statusCode).toBe(404);
  });
});
