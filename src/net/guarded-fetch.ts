// A fetch for model-chosen URLs. Every hop (the first request and each
// redirect) is checked against the SSRF policy in ssrf.ts after DNS
// resolution, and the connection is pinned to the addresses that were checked:
// the undici Agent's connect.lookup answers only from that list, so a DNS
// answer that changes between the check and the connect (rebinding) is never
// used. Redirects are followed by hand, at most `maxRedirects` times.
import { lookup as dnsLookup } from "node:dns/promises";
import { isIP, type LookupFunction } from "node:net";
import type { Response } from "undici";

// undici takes ~130 ms to load: only when the first guarded fetch happens
let undici: Promise<typeof import("undici")> | undefined;
const loadUndici = () => (undici ??= import("undici"));
import { dispatcherFor } from "./proxy.ts";
import { allowHostSet, checkResolved, checkUrlTarget, SsrfRefusal } from "./ssrf.ts";

/** Resolves a host name to its addresses (DNS by default; injectable for tests). */
export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = async (hostname) => {
  const answers = await dnsLookup(hostname, { all: true, order: "verbatim" });
  return answers.map((a) => a.address);
};

export interface GuardedFetchOptions {
  /** exact host names the owner opted in (tools.web.fetch.allow_hosts); their addresses are not checked */
  allowHosts?: readonly string[];
  /** name resolution; default: the system resolver */
  resolve?: Resolver;
  /** redirects followed before giving up; default 3 */
  maxRedirects?: number;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** TCP/TLS connect timeout; default 10 s */
  connectTimeoutMs?: number;
  /**
   * An HTTP proxy for the requests (a provider entry's `proxy`). Every hop is
   * still checked against the policy after local DNS resolution; the proxy
   * resolves the name again itself, so pinning cannot apply through it.
   */
  proxy?: string;
}

export interface GuardedResponse {
  response: Response;
  /** the URL that produced `response`, after redirects */
  url: string;
  /** URLs that redirected, in order */
  redirects: string[];
  /** releases the connection; call once the body has been read (or abandoned) */
  close(): Promise<void>;
}

/** A hop that could not be attempted for a reason other than policy (e.g. DNS failure). */
export class GuardedFetchError extends Error {
  constructor(message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = "GuardedFetchError";
  }
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

interface Pinned {
  address: string;
  family: 4 | 6;
}

/** A connect.lookup that answers only with addresses already checked for that host. */
function pinnedLookup(pins: ReadonlyMap<string, Pinned[]>): LookupFunction {
  return (hostname, options, callback) => {
    const host = hostname.toLowerCase().replace(/\.+$/, "");
    const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
    const entries = (pins.get(host) ?? []).filter((p) => wanted === 0 || p.family === wanted);
    const first = entries[0];
    if (!first) {
      const err = Object.assign(new Error(`refused: ${host} was not checked before connecting`), {
        code: "ENOTFOUND",
      });
      callback(err, "", 0);
      return;
    }
    if (options.all) {
      (callback as unknown as (e: null, a: Pinned[]) => void)(null, entries);
    } else {
      callback(null, first.address, first.family);
    }
  };
}

function parseUrl(input: string | URL, base?: URL): URL {
  try {
    return typeof input === "string" ? new URL(input, base) : new URL(input.href);
  } catch {
    throw new SsrfRefusal("invalid", `refused: ${JSON.stringify(String(input).slice(0, 200))} is not a valid URL`);
  }
}

/**
 * GET `input` through the SSRF guard. Throws SsrfRefusal when the URL, a
 * resolved address or a redirect target is refused, GuardedFetchError when a
 * host cannot be resolved, and undici's errors for network failures.
 * The caller owns the returned response and must call close().
 */
export async function guardedFetch(input: string | URL, opts: GuardedFetchOptions = {}): Promise<GuardedResponse> {
  const allow = allowHostSet(opts.allowHosts);
  const resolve = opts.resolve ?? systemResolver;
  const maxRedirects = opts.maxRedirects ?? 3;
  const pins = new Map<string, Pinned[]>();
  const { Agent, fetch } = await loadUndici();
  const proxied = opts.proxy?.trim() ? await dispatcherFor(opts.proxy) : undefined;
  // the shared proxy agent lives for the process; only our own agent is destroyed
  const own = proxied ? undefined : new Agent({ connect: { lookup: pinnedLookup(pins), timeout: opts.connectTimeoutMs ?? 10_000 } });
  const agent = (proxied ?? own)!;
  const release = async () => {
    await own?.destroy();
  };
  const redirects: string[] = [];
  let url = parseUrl(input);
  try {
    for (;;) {
      const { host, needsDns } = checkUrlTarget(url, allow);
      if (needsDns && !pins.has(host)) {
        const addresses = await resolveHost(resolve, host, opts.signal);
        checkResolved(host, addresses, allow);
        pins.set(
          host,
          addresses.map((address) => ({ address, family: isIP(address) === 6 ? 6 : 4 })),
        );
      }
      const response = await fetch(url, {
        dispatcher: agent,
        redirect: "manual",
        signal: opts.signal ?? null,
        headers: opts.headers ?? {},
      });
      const location = response.headers.get("location");
      if (!REDIRECT_STATUSES.has(response.status) || location === null) {
        return { response, url: url.href, redirects, close: release };
      }
      await response.body?.cancel().catch(() => {});
      if (redirects.length >= maxRedirects) {
        throw new SsrfRefusal("redirects", `refused: more than ${maxRedirects} redirects (the last one pointed to ${location.slice(0, 200)})`);
      }
      redirects.push(url.href);
      url = parseUrl(location, url);
    }
  } catch (err) {
    await release().catch(() => {});
    throw err;
  }
}

async function resolveHost(resolve: Resolver, host: string, signal: AbortSignal | undefined): Promise<string[]> {
  signal?.throwIfAborted();
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new GuardedFetchError(`could not resolve ${host}${typeof code === "string" ? ` (${code})` : ""}`, {
      cause: err,
    });
  }
  signal?.throwIfAborted();
  const valid = addresses.filter((a) => isIP(a) !== 0);
  if (valid.length === 0) throw new GuardedFetchError(`could not resolve ${host} (no addresses)`);
  return valid;
}
