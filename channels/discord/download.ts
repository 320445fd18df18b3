// Downloads one attachment from Discord's CDN with a size cap. The size
// Discord reported is checked first, then the stream is counted, so a file
// over the cap is refused without being held in memory. Attachment URLs are
// signed and expire (about a day), so download soon after the message.

import { readCappedBody } from "../../src/core/capped-body.ts";
import { errorMessage } from "../../src/core/errors.ts";
export const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface DownloadOptions {
  maxBytes: number;
  /** the size Discord reported for the attachment */
  reportedSize?: number;
  fetch: FetchLike;
  timeoutMs?: number;
}

function mb(n: number): string {
  return n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`;
}

export async function downloadAttachment(url: string, name: string, opts: DownloadOptions): Promise<Buffer> {
  const tooBig = (size?: number) =>
    new Error(`Discord attachment "${name}" is over the ${mb(opts.maxBytes)} download limit${size !== undefined ? ` (${mb(size)})` : ""}`);
  if (opts.reportedSize !== undefined && opts.reportedSize > opts.maxBytes) throw tooBig(opts.reportedSize);
  let res: Response;
  try {
    res = await opts.fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000), redirect: "follow" });
  } catch (err) {
    throw new Error(`Discord attachment "${name}" could not be downloaded: ${errorMessage(err)}`);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    const hint = res.status === 403 || res.status === 404 ? " (the attachment was deleted or its link expired)" : "";
    throw new Error(`Discord attachment "${name}" download failed: HTTP ${res.status}${hint}`);
  }
  return readCappedBody(res, opts.maxBytes, tooBig);
}
