// The control page's HTTP side: the page and its assets (served from the
// package, no CDN), login, and a small JSON API over the ControlSurface with
// live updates as Server-Sent Events. Mounted on the gateway's server through
// its `routes` hook, so the server's Host check (no token → loopback names
// only) and CORS policy apply here too.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AccessGuards } from "../http/host-check.ts";
import { tokenMatches } from "../http/host-check.ts";
import { clearedCookie, COOKIE, cookieValue, CSRF_HEADER, sameSecret, sessionCookie, UiAuth } from "./auth.ts";
import { assetResponse, pageHtml } from "./assets.ts";
import { unifiedDiff } from "./diff.ts";
import { qrSvg } from "./qr-svg.ts";
import { registerEvents } from "./events.ts";
import type { ControlSurface } from "./surface.ts";

export interface UiOptions {
  surface: () => ControlSurface;
  /** gateway.token, read per request (a reload can change it) */
  token: () => string | undefined;
  auth?: UiAuth;
}

type Handler = (req: FastifyRequest, reply: FastifyReply) => unknown;

const param = (req: FastifyRequest, name: string) => String((req.params as Record<string, string | undefined>)[name] ?? "");
const field = (req: FastifyRequest, name: string) => (req.body as Record<string, unknown> | null | undefined)?.[name];

function uiError(reply: FastifyReply, status: number, message: string, extra: Record<string, unknown> = {}) {
  return reply.code(status).header("cache-control", "no-store").send({ error: message, ...extra });
}

export function registerControlPage(app: FastifyInstance, guards: AccessGuards, opts: UiOptions): UiAuth {
  const auth = opts.auth ?? new UiAuth();
  const sessionId = (req: FastifyRequest) => cookieValue(req.headers.cookie, COOKIE);
  const bearer = (req: FastifyRequest) => {
    const token = opts.token();
    return token !== undefined && tokenMatches(token, req.headers.authorization);
  };
  const secure = (req: FastifyRequest) => req.protocol === "https" || req.headers["x-forwarded-proto"] === "https";

  /** reads: a logged-in page, a bearer token, or no token configured at all */
  const canRead = (req: FastifyRequest) => !opts.token() || bearer(req) || auth.session(sessionId(req)) !== undefined;
  const read = (handler: Handler): Handler => async (req, reply) => {
    if (!canRead(req)) return uiError(reply, 401, "log in first: this gateway has gateway.token set", { login: true });
    void reply.header("cache-control", "no-store");
    return handler(req, reply);
  };
  /** actions: as reads, plus the session's CSRF token (a bearer token is not ambient, so it needs none) */
  const act = (handler: Handler): Handler =>
    read(async (req, reply) => {
      if (!bearer(req)) {
        const expected = auth.csrfFor(sessionId(req), opts.token() !== undefined);
        const given = req.headers[CSRF_HEADER];
        if (!expected || typeof given !== "string" || !sameSecret(expected, given)) {
          return uiError(reply, 403, `missing or wrong ${CSRF_HEADER} header: reload the page and try again`);
        }
      }
      return handler(req, reply);
    });

  app.get("/ui", async (_req, reply) => reply.type("text/html; charset=utf-8").header("cache-control", "no-store").header("content-security-policy", CSP).send(pageHtml()));
  app.get("/ui/", async (_req, reply) => reply.redirect("/ui", 301));
  app.get<{ Params: { "*": string } }>("/ui/assets/*", async (req, reply) => {
    const asset = assetResponse(req.params["*"]);
    if (!asset) return uiError(reply, 404, "no such asset");
    return reply.type(asset.type).header("cache-control", "public, max-age=300").send(asset.body);
  });

  // ---- login ---------------------------------------------------------------
  app.post<{ Body: { token?: unknown } }>("/ui/login", async (req, reply) => {
    const expected = opts.token();
    if (!expected) return { ok: true, login: false };
    const given = typeof req.body?.token === "string" ? req.body.token : "";
    const s = auth.login(expected, given);
    if (!s) return uiError(reply, 401, "that is not this gateway's token (gateway.token in the config)");
    return reply.header("set-cookie", sessionCookie(s.id, secure(req))).send({ ok: true });
  });
  app.get<{ Querystring: { code?: string } }>("/ui/login", async (req, reply) => {
    const s = auth.redeem(String(req.query.code ?? ""));
    if (!s) return reply.code(401).type("text/plain; charset=utf-8").send("This login link was used already or has expired. Run `switchboard dashboard` for a new one.");
    return reply.header("set-cookie", sessionCookie(s.id, secure(req))).redirect("/ui", 303);
  });
  app.post("/ui/logout", async (req, reply) => {
    auth.logout(sessionId(req));
    return reply.header("set-cookie", clearedCookie()).send({ ok: true });
  });
  // for `switchboard dashboard`: the CLI holds the token and asks for a link a browser can open once
  app.post("/ui/one-time", { preHandler: guards.requireToken }, async () => ({ code: auth.issueOneTime(), path: "/ui/login?code=" }));

  // ---- reads -----------------------------------------------------------------
  app.get(
    "/ui/api/state",
    read(async (req) => {
      const s = opts.surface();
      return {
        csrf: auth.csrfFor(sessionId(req), opts.token() !== undefined) ?? null,
        tokenSet: opts.token() !== undefined,
        overview: s.overview(),
        channels: s.channels().map(({ qr, ...c }) => ({ ...c, hasQr: qr !== undefined })),
        models: s.models(),
        sessions: await s.sessions(100),
        pairing: await s.pairing(),
        deadLetters: await s.deadLetters(),
        cron: await s.cronJobs(),
      };
    }),
  );
  app.get(
    "/ui/api/channels/:id/qr.svg",
    read(async (req, reply) => {
      const qr = opts.surface().channels().find((c) => c.id === param(req, "id"))?.qr;
      if (!qr) return uiError(reply, 404, "no QR code to scan right now");
      return reply.type("image/svg+xml").send(qrSvg(qr));
    }),
  );
  app.get("/ui/api/sessions/:key/history", read(async (req) => ({ lines: await opts.surface().history(param(req, "key"), 200) })));
  app.get("/ui/api/logs", read(async (req) => ({ lines: opts.surface().recentLogs(Math.min(1000, Number((req.query as { limit?: string }).limit) || 200)) })));
  app.get("/ui/api/config", read(async () => opts.surface().configText()));
  registerEvents(app, read, opts.surface);

  // ---- actions ---------------------------------------------------------------
  const ok = (done: boolean, what: string) => (done ? { ok: true } : { ok: false, error: what });
  app.post("/ui/api/channels/:id/restart", act(async (req) => (await opts.surface().restartChannel(param(req, "id")), { ok: true })));
  app.post("/ui/api/models/:key/clear-cooldown", act(async (req) => (opts.surface().clearCooldown(param(req, "key")), { ok: true })));
  app.post("/ui/api/sessions/:key/reset", act(async (req) => (await opts.surface().resetSession(param(req, "key")), { ok: true })));
  app.post(
    "/ui/api/pairing/approve",
    act(async (req) => ok(await opts.surface().approvePairing(String(field(req, "channel")), String(field(req, "code"))), "unknown or expired code")),
  );
  app.post(
    "/ui/api/pairing/deny",
    act(async (req) => ok(await opts.surface().denyPairing(String(field(req, "channel")), String(field(req, "code"))), "unknown or expired code")),
  );
  app.post(
    "/ui/api/pairing/revoke",
    act(async (req) => ok(await opts.surface().revokeSender(String(field(req, "channel")), String(field(req, "senderId"))), "that sender is not approved")),
  );
  app.post("/ui/api/dead-letters/:id/retry", act(async (req) => ok(await opts.surface().retryDeadLetter(Number(param(req, "id"))), "no such dead letter")));
  app.post("/ui/api/dead-letters/:id/drop", act(async (req) => ok(await opts.surface().dropDeadLetter(Number(param(req, "id"))), "no such dead letter")));
  app.post("/ui/api/cron/:id/run", act(async (req) => (await opts.surface().runCronNow(param(req, "id")), { ok: true })));
  app.post(
    "/ui/api/cron/:id/enabled",
    act(async (req) => ok(await opts.surface().setCronEnabled(param(req, "id"), field(req, "enabled") === true), "no such job")),
  );
  /** the config routes take the edited file as {"text": "…"} */
  const withText = (handler: (text: string, reply: FastifyReply) => unknown) =>
    act(async (req, reply) => {
      const text = field(req, "text");
      if (typeof text !== "string") return uiError(reply, 400, 'send the edited config as {"text": "…"}');
      return handler(text, reply);
    });
  app.post(
    "/ui/api/config/check",
    withText((text) => {
      const s = opts.surface();
      return { ...s.checkConfig(text), diff: unifiedDiff(s.configText().text, text) };
    }),
  );
  app.post("/ui/api/config/apply", withText((text) => opts.surface().applyConfig(text)));
  return auth;
}

/** scripts only from the gateway itself, no inline script, no framing by other sites */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
