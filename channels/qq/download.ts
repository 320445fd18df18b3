// Downloads one attachment from QQ's media servers with a size cap. The size
// QQ reported is checked first, then Content-Length, then the stream is
// counted, so a file over the cap is refused without being held in memory.
// QQ's attachment URLs are signed and need no token; some arrive without a
// scheme ("//multimedia.nt.qq.com.cn/...") and get https.
import { readCappedBody } from "../../src/core/capped-body.ts";
import type { FetchLike } from "./token.ts";

export const MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024;

export interface DownloadOptions {
  maxBytes: number;
  reportedSize?: number;
  fetch: FetchLike;
  timeoutMs?: number;
}

export function absoluteUrl(url: string): string {
  if (url.startsWith("//")) return `https:${url}`;
  if (!/^[a-z][a-z0-9+.-]*:/i.test(url)) return `https://${url}`;
  return url;
}

function size(n: number): string {
  return n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`;
}

export async function downloadAttachment(url: string, name: string, opts: DownloadOptions): Promise<Buffer> {
  const tooBig = (n?: number) =>
    new Error(`QQ attachment "${name}" is over the ${size(opts.maxBytes)} download limit${n !== undefined ? ` (${size(n)})` : ""}`);
  if (opts.reportedSize !== undefined && opts.reportedSize > opts.maxBytes) throw tooBig(opts.reportedSize);
  let res: Response;
  try {
    res = await opts.fetch(absoluteUrl(url), { redirect: "follow", signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000) });
  } catch (err) {
    const why = err instanceof Error ? (err.name === "TimeoutError" ? "timed out" : err.message) : String(err);
    throw new Error(`QQ attachment "${name}" could not be downloaded: ${why}`);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    const hint = res.status === 403 || res.status === 404 || res.status === 410 ? " (the link expired or the file was removed)" : "";
    throw new Error(`QQ attachment "${name}" download failed: HTTP ${res.status}${hint}`);
  }
  return readCappedBody(res, opts.maxBytes, tooBig);
}
