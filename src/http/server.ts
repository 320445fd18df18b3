// The gateway's HTTP face (fastify): health and readiness for supervisors,
// status and Prometheus metrics for people and scrapers, an OpenAI-compatible
// chat endpoint in front of the agent, and the channels' webhook routes.
// Default bind 127.0.0.1; a non-loopback bind without gateway.token is
// refused at start.
import { timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { SwitchboardError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import { registerChatCompletions, type ChatTurnRunner } from "./openai-api.ts";

export interface Readiness {
  ready: boolean;
  /** per part, e.g. { store: "open", telegram: "online" } */
  detail: Record<string, string>;
}

export interface WebhookResponse {
  status: number;
  body?: string;
  /** e.g. content-type: application/json for a platform's challenge answer */
  headers?: Record<string, string>;
}

export type WebhookHandler = (headers: Record<string, string | string[] | undefined>, body: unknown) => Promise<WebhookResponse>;

export interface HttpServerOptions {
  host: string;
  port: number;
  /** bearer token for /status and /v1/*; required off loopback */
  token?: string;
  logger: Logger;
  readiness: () => Readiness;
  status: () => unknown;
  metrics: () => string;
  chat?: ChatTurnRunner;
  /** path → handler, e.g. "/webhook/telegram" */
  webhooks?: Map<string, WebhookHandler>;
  /** largest request body accepted, bytes; default 1 MiB */
  bodyLimit?: number;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

function tokenMatches(expected: string, header: string | undefined): boolean {
  if (!header) return false;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!m) return false;
  const a = Buffer.from(m[1]!);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface RunningHttpServer {
  app: FastifyInstance;
  /** the address actually bound, e.g. http://127.0.0.1:18790 */
  url: string;
  close(): Promise<void>;
}

export async function startHttpServer(opts: HttpServerOptions): Promise<RunningHttpServer> {
  if (!isLoopbackHost(opts.host) && !opts.token) {
    throw new SwitchboardError(
      "usage",
      `refusing to listen on ${opts.host} without gateway.token: anyone on the network could use the API. Set gateway.token, or bind gateway.host to 127.0.0.1`,
      { exitCode: 78 },
    );
  }
  const { default: Fastify } = await import("fastify");
  const app = Fastify({ logger: false, bodyLimit: opts.bodyLimit ?? 1024 * 1024, return503OnClosing: true });

  const requireToken = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!opts.token) return;
    if (!tokenMatches(opts.token, req.headers.authorization)) {
      await reply.code(401).header("www-authenticate", "Bearer").send({ error: { message: "missing or wrong bearer token (gateway.token)", type: "unauthorized" } });
    }
  };

  app.setErrorHandler((err: { statusCode?: number; message: string; code?: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) opts.logger.error({ err: err.message }, "http handler failed");
    void reply.code(status).send({ error: { message: status >= 500 ? "internal error" : err.message, type: err.code ?? "bad_request" } });
  });

  app.get("/health", async () => ({ status: "ok" }));
  app.get("/ready", async (_req, reply) => {
    const r = opts.readiness();
    return reply.code(r.ready ? 200 : 503).send({ ready: r.ready, ...r.detail });
  });
  app.get("/status", { preHandler: requireToken }, async () => opts.status());
  app.get("/metrics", { preHandler: requireToken }, async (_req, reply) =>
    reply.type("text/plain; version=0.0.4; charset=utf-8").send(opts.metrics()),
  );
  if (opts.chat) registerChatCompletions(app, opts.chat, requireToken);

  for (const [path, handler] of opts.webhooks ?? []) {
    app.post(path, async (req, reply) => {
      const res = await handler(req.headers, req.body);
      if (res.headers) void reply.headers(res.headers);
      return reply.code(res.status).send(res.body ?? "");
    });
  }

  const address = await app.listen({ host: opts.host, port: opts.port });
  opts.logger.info({ address }, "http server listening");
  return {
    app,
    url: address,
    close: () => app.close(),
  };
}
