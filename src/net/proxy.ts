// Outbound HTTP through a configured proxy (model_list[].proxy,
// providers.<vendor>.proxy). One undici ProxyAgent per proxy URL, kept for
// the life of the process so connections are reused. undici (~130 ms to
// load) is imported only when a proxy is actually used.
import type { Dispatcher } from "undici";
import { redactUrl } from "../core/redact.ts";

type Undici = typeof import("undici");
let undici: Promise<Undici> | undefined;
const loadUndici = () => (undici ??= import("undici"));

const agents = new Map<string, Dispatcher>();

/** The dispatcher for a proxy URL (http:// or https://), or undefined for none. */
export async function dispatcherFor(proxy: string | undefined): Promise<Dispatcher | undefined> {
  const url = proxy?.trim();
  if (!url) return undefined;
  let agent = agents.get(url);
  if (!agent) {
    try {
      new URL(url);
    } catch {
      throw new Error(`proxy ${redactProxy(url)} is not a URL (write it as http://host:port)`);
    }
    const { ProxyAgent } = await loadUndici();
    agent = new ProxyAgent(url);
    agents.set(url, agent);
  }
  return agent;
}

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** A fetch that goes through `proxy` when one is given, else the global fetch. */
export function fetchVia(proxy: string | undefined): FetchLike {
  if (!proxy?.trim()) return (input, init) => fetch(input, init);
  return async (input, init) => {
    const [{ fetch: undiciFetch }, dispatcher] = await Promise.all([loadUndici(), dispatcherFor(proxy)]);
    return undiciFetch(input as never, { ...(init as object), dispatcher } as never) as unknown as Promise<Response>;
  };
}

/** A proxy URL fit for logs: its password masked (core/redact.ts). */
export function redactProxy(url: string): string {
  return redactUrl(url);
}
