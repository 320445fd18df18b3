// SDK clients are cached per everything that shapes their requests, so a
// config reload that changes a timeout, proxy or header gets a fresh client.
import type { CallTarget } from "../types.ts";

export function clientKey(t: CallTarget): string {
  const e = t.entry;
  return JSON.stringify([e.id, e.protocol, e.apiBase, t.keyIndex, t.apiKey?.length ?? 0, e.requestTimeoutMs, e.proxy ?? "", e.customHeaders ?? {}, e.apiVersion ?? ""]);
}
