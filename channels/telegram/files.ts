// Lazy file downloads: getFile for the path, then GET
// <api_root>/file/bot<token>/<file_path>, capped at the 20 MB the Bot API
// lets bots download. Nothing here names the URL (it holds the token).
import { readFile, stat } from "node:fs/promises";
import { isAbsolute } from "node:path";
import type { TelegramClient } from "./client.ts";
import { toChannelError } from "./client.ts";

/** The Bot API's download limit for bots. */
export const MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;

export interface FileFetchOptions {
  client: TelegramClient;
  apiRoot: string;
  token: string;
  maxBytes?: number;
  /** per download; default 60 s */
  timeoutMs?: number;
}

function tooBig(size: number, max: number): Error {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  return new Error(`the Telegram file is ${mb(size)}, more than the ${mb(max)} bots may download; ask for a smaller file`);
}

export function makeFileFetcher(opts: FileFetchOptions, fileId: string, reportedSize?: number): () => Promise<Buffer> {
  const max = opts.maxBytes ?? MAX_DOWNLOAD_BYTES;
  return async () => {
    if (reportedSize !== undefined && reportedSize > max) throw tooBig(reportedSize, max);
    let file;
    try {
      file = await opts.client.api.getFile(fileId);
    } catch (err) {
      throw toChannelError(err, "getFile", opts.client.redact);
    }
    if (file.file_size !== undefined && file.file_size > max) throw tooBig(file.file_size, max);
    if (!file.file_path) throw new Error("Telegram returned no file_path for the file; it may have expired, ask for it again");
    // a self-hosted Bot API server started with --local answers with a path on its own disk
    if (isAbsolute(file.file_path)) return readLocal(file.file_path, max);
    const path = file.file_path.split("/").map(encodeURIComponent).join("/");
    const url = `${opts.apiRoot}/file/bot${opts.token}/${path}`;
    let res: Response;
    try {
      res = await opts.client.fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000) });
    } catch (err) {
      throw new Error(`downloading a Telegram file failed: ${opts.client.redact(err instanceof Error ? err.message : String(err))}`);
    }
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      throw new Error(`downloading a Telegram file failed: HTTP ${res.status}`);
    }
    return readCapped(res.body, max);
  };
}

async function readLocal(path: string, max: number): Promise<Buffer> {
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) {
    throw new Error(
      "the Bot API server (channels.telegram.api_base) runs with --local and gave a path on its own disk that this machine cannot read; share its working directory with the gateway, or run it without --local",
    );
  }
  if (st.size > max) throw tooBig(st.size, max);
  return readFile(path);
}

async function readCapped(body: ReadableStream<Uint8Array>, max: number): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw tooBig(total, max);
    }
    parts.push(value);
  }
  return Buffer.concat(parts);
}
