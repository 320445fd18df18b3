// Who may use the gateway's HTTP routes. Three checks, read from a live
// policy on every request (a reload can change the token or the lists):
//  - Host: without gateway.token only loopback Host names (and
//    gateway.allowed_hosts) are served. A web page in a local browser can
//    point a name it controls at 127.0.0.1 (DNS rebinding); its requests then
//    carry that foreign name in Host and are refused here.
//  - Token: with gateway.token, protected routes need `Authorization: Bearer`.
//    A browser page cannot know the token, so Host is not checked then.
//  - CORS: off unless gateway.cors.origins lists the page origins allowed.
// Exempt: /health (supervisors probe it by any name) and routes marked with
// `config: OPEN_ROUTE` (the channels' webhooks: platforms call them under the
// gateway's public name, and each checks its platform's own secret).
import { timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import { sendApiError } from "./api/errors.ts";

export interface AccessPolicy {
  token?: string;
  /** Host names served without a token besides the loopback ones; "*" serves any */
  allowedHosts?: readonly string[];
  /** page origins allowed to call the API from a browser, e.g. "http://localhost:3000"; "*" allows any */
  corsOrigins?: readonly string[];
}

export type RouteHook = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** Route config that skips the Host and CORS checks: `app.post(path, { config: OPEN_ROUTE }, handler)`. */
export const OPEN_ROUTE = { openAccess: true } as const;

function isOpen(req: FastifyRequest): boolean {
  return (req.routeOptions.config as { openAccess?: boolean } | undefined)?.openAccess === true;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** The name part of a Host header: "[::1]:8080" → "[::1]", "Example.com:80" → "example.com". */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    return end === -1 ? h : h.slice(0, end + 1);
  }
  const colon = h.lastIndexOf(":");
  return colon === -1 ? h : h.slice(0, colon);
}

export function hostAllowed(header: string | undefined, policy: AccessPolicy): boolean {
  if (policy.token) return true;
  if (!header) return false;
  const name = hostName(header);
  if (isLoopbackHost(name)) return true;
  return (policy.allowedHosts ?? []).some((a) => a === "*" || hostName(a) === name);
}

export function tokenMatches(expected: string, header: string | undefined): boolean {
  if (!header) return false;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!m) return false;
  const a = Buffer.from(m[1]!);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface AccessGuards {
  /** onRequest hook for the whole server: Host check and CORS (preflights answered here) */
  onRequest: RouteHook;
  /** preHandler for a protected route: the bearer token when one is set */
  requireToken: RouteHook;
}

/**
 * The gateway's access checks as fastify hooks. Other modules protect their
 * routes with `requireToken` (POST /reload, a control page); the server
 * installs `onRequest` once for every route.
 */
export function accessGuards(policy: () => AccessPolicy): AccessGuards {
  const onRequest: RouteHook = async (req, reply) => {
    if (isOpen(req)) return;
    const p = policy();
    if (!hostAllowed(req.headers.host, p)) {
      const name = req.headers.host ? `"${hostName(req.headers.host)}"` : "(none)";
      return void (await sendApiError(reply, 403, {
        message:
          `Host ${name} is not served: without gateway.token only localhost, 127.0.0.1 and [::1] are (DNS rebinding protection). ` +
          `Use one of those names, add this one to gateway.allowed_hosts, or set gateway.token.`,
        type: "invalid_request_error",
        code: "host_not_allowed",
      }));
    }
    const origin = req.headers.origin;
    const origins = p.corsOrigins ?? [];
    if (!origin || origins.length === 0) return;
    const allowed = origins.includes("*") || origins.includes(origin);
    if (!allowed) return; // no CORS headers: the browser blocks the page from reading the answer
    void reply.header("access-control-allow-origin", origins.includes("*") ? "*" : origin).header("vary", "Origin");
    if (req.method === "OPTIONS" && req.headers["access-control-request-method"]) {
      return void (await reply
        .code(204)
        .header("access-control-allow-methods", "GET, POST, OPTIONS")
        .header("access-control-allow-headers", req.headers["access-control-request-headers"] ?? "authorization, content-type")
        .header("access-control-max-age", "600")
        .send());
    }
  };

  const requireToken: RouteHook = async (req, reply) => {
    const token = policy().token;
    if (!token || tokenMatches(token, req.headers.authorization)) return;
    void reply.header("www-authenticate", "Bearer");
    return void (await sendApiError(reply, 401, {
      message: req.headers.authorization
        ? "wrong bearer token: send the value of gateway.token as `Authorization: Bearer <token>`"
        : "missing bearer token: this gateway has gateway.token set; send it as `Authorization: Bearer <token>`",
      type: "invalid_request_error",
      code: "invalid_api_key",
    }));
  };

  return { onRequest, requireToken };
}
