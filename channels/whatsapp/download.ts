// Media downloads with a size cap: the size WhatsApp (or the bridge) reported
// is checked first, then Content-Length, then the bytes as they stream, so a
// file over the cap is refused without being held in memory.

import { readCappedBody } from "../../src/core/capped-body.ts";
export const MAX_MEDIA_BYTES = 20 * 1024 * 1024;

export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

export function formatSize(n: number): string {
  return n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`;
}

export function tooBig(what: string, maxBytes: number, n?: number): Error {
  return new Error(`${what} is over the ${formatSize(maxBytes)} download limit${n !== undefined ? ` (${formatSize(n)})` : ""}`);
}

/** a media URL the bridge gave (http/https only), without its query in errors */
export async function downloadUrl(
  url: string,
  opts: { maxBytes: number; reportedSize?: number | undefined; fetch: FetchLike; timeoutMs?: number },
): Promise<Buffer> {
  const what = "WhatsApp media";
  if (opts.reportedSize !== undefined && opts.reportedSize > opts.maxBytes) throw tooBig(what, opts.maxBytes, opts.reportedSize);
  const shown = url.split("?")[0];
  let res: Response;
  try {
    res = await opts.fetch(url, { redirect: "follow", signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000) });
  } catch (err) {
    const why = err instanceof Error ? (err.name === "TimeoutError" ? "timed out" : err.message) : String(err);
    throw new Error(`${what} from ${shown} could not be downloaded: ${why}`);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error(`${what} download from ${shown} failed: HTTP ${res.status}`);
  }
  return readCappedBody(res, opts.maxBytes, (size) => tooBig(what, opts.maxBytes, size));
}
