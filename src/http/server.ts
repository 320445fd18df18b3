// The gateway's HTTP face (fastify): health and readiness for supervisors,
// status and Prometheus metrics for people and scrapers, an OpenAI-compatible
// API in front of the agent, and the channels' webhook routes.
// Default bind 127.0.0.1; a non-loopback bind without gateway.token is
// refused at start. Every route but /health and the webhooks goes through
// the access checks of host-check.ts (Host without a token, CORS, bearer token).
// buildHttpServer() makes the app without listening (tests use inject);
// startHttpServer() also binds it.
import type { FastifyInstance } from "fastify";
import { SwitchboardError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import { sendApiError } from "./api/errors.ts";
import { accessGuards, isLoopbackHost, OPEN_ROUTE, type AccessGuards, type AccessPolicy } from "./host-check.ts";
import { registerOpenAiApi, type ApiRuntime } from "./openai-api.ts";
import { registerWebhooks, type WebhookMount } from "./webhooks.ts";

export { isLoopbackHost };

export interface Readiness {
  ready: boolean;
  /** per part, e.g. { store: "open", telegram: "online" } */
  detail: Record<string, string>;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  /** bearer token for /status, /metrics and /v1/*; required off loopback */
  token?: string;
  /** extra Host names served without a token (gateway.allowed_hosts) */
  allowedHosts?: readonly string[];
  /** browser origins allowed by CORS (gateway.cors.origins); none = CORS off */
  corsOrigins?: readonly string[];
  /** the live access settings; when given, wins over token/allowedHosts/corsOrigins (a reload can change them) */
  access?: () => AccessPolicy;
  logger: Logger;
  readiness: () => Readiness;
  status: () => unknown;
  metrics: () => string | Promise<string>;
  /** the runtime the OpenAI-compatible API runs turns on; no API routes without it */
  api?: () => ApiRuntime;
  /** the channels' webhook routes and how to find the live adapter (webhooks.ts) */
  webhooks?: WebhookMount;
  /** more routes (e.g. POST /reload), given the access guards to protect them with */
  routes?: (app: FastifyInstance, guards: AccessGuards) => void;
  /** largest request body accepted, bytes; default 1 MiB */
  bodyLimit?: number;
}

export interface BuiltHttpServer {
  app: FastifyInstance;
  guards: AccessGuards;
}

export interface RunningHttpServer extends BuiltHttpServer {
  /** the address actually bound, e.g. http://127.0.0.1:18790 */
  url: string;
  close(): Promise<void>;
}

function checkBind(opts: HttpServerOptions): void {
  const token = opts.access ? opts.access().token : opts.token;
  if (!isLoopbackHost(opts.host) && !token) {
    throw new SwitchboardError(
      "usage",
      `refusing to listen on ${opts.host} without gateway.token: anyone on the network could use the API. Set gateway.token, or bind gateway.host to 127.0.0.1`,
      { exitCode: 78 },
    );
  }
}

/** The app with every route and check, not listening. */
export async function buildHttpServer(opts: HttpServerOptions): Promise<BuiltHttpServer> {
  checkBind(opts);
  const { default: Fastify } = await import("fastify");
  const app = Fastify({ logger: false, bodyLimit: opts.bodyLimit ?? 1024 * 1024, return503OnClosing: true });
  // read per request (opts.token may be a getter a reload changes)
  const fromOptions = (): AccessPolicy => ({
    ...(opts.token ? { token: opts.token } : {}),
    allowedHosts: opts.allowedHosts ?? [],
    corsOrigins: opts.corsOrigins ?? [],
  });
  const guards = accessGuards(opts.access ?? fromOptions);
  app.addHook("onRequest", guards.onRequest);

  app.setErrorHandler((err: { statusCode?: number; message: string; code?: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) opts.logger.error({ err: err.message }, "http handler failed");
    // fastify's own 4xx (malformed JSON, body too large) say what was wrong
    const message = status >= 500 ? "internal error" : `invalid request: ${err.message}`;
    void sendApiError(reply, status, { message, type: status >= 500 ? "server_error" : "invalid_request_error", code: err.code ?? null });
  });
  app.setNotFoundHandler((req, reply) =>
    sendApiError(reply, 404, { message: `no route ${req.method} ${req.url.split("?")[0]}`, type: "not_found_error", code: "not_found" }),
  );

  app.get("/health", { config: OPEN_ROUTE }, async () => ({ status: "ok" }));
  app.get("/ready", async (_req, reply) => {
    const r = opts.readiness();
    return reply.code(r.ready ? 200 : 503).send({ ready: r.ready, ...r.detail });
  });
  app.get("/status", { preHandler: guards.requireToken }, async () => opts.status());
  app.get("/metrics", { preHandler: guards.requireToken }, async (_req, reply) =>
    reply.type("text/plain; version=0.0.4; charset=utf-8").send(await opts.metrics()),
  );
  if (opts.api) registerOpenAiApi(app, opts.api, guards.requireToken, opts.logger);
  opts.routes?.(app, guards);

  if (opts.webhooks) await registerWebhooks(app, opts.webhooks, opts.logger);
  return { app, guards };
}

export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  const built = await buildHttpServer(opts);
  const address = await built.app.listen({ host: opts.host, port: opts.port });
  opts.logger.info({ address }, "http server listening");
  return { ...built, url: address, close: () => built.app.close() };
}
