// Lazy file downloads: getFile for the path, then GET
// <api_root>/file/bot<token>/<file_path>, capped at the 20 MB the Bot API
// lets bots download. Nothing here names the URL (it holds the token).
import { readFile, realpath, stat } from "node:fs/promises";
import { isAbsolute, relative, sep } from "node:path";
import type { TelegramClient } from "./client.ts";
import { toChannelError } from "./client.ts";
import { errorMessage } from "../../src/core/errors.ts";

/** The Bot API's download limit for bots. */
export const MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;

export interface FileFetchOptions {
  client: TelegramClient;
  apiRoot: string;
  token: string;
  maxBytes?: number;
  /** per download; default 60 s */
  timeoutMs?: number;
  /**
   * local_mode: the self-hosted Bot API server's directory. Only then is an
   * absolute file_path read from disk, and only inside this directory.
   */
  localDir?: string;
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
    // a self-hosted Bot API server started with --local answers with a path on its own disk;
    // anyone else answering with one (a wrong api_base, a hostile server) must not make us read our disk
    if (isAbsolute(file.file_path)) {
      if (!opts.localDir) {
        throw new Error(
          "the Bot API server answered getFile with a path on its disk; set channels.telegram.local_mode to true and channels.telegram.local_dir to its --dir if you run telegram-bot-api with --local",
        );
      }
      return readLocal(file.file_path, opts.localDir, max);
    }
    const path = file.file_path.split("/").map(encodeURIComponent).join("/");
    const url = `${opts.apiRoot}/file/bot${opts.token}/${path}`;
    let res: Response;
    try {
      res = await opts.client.fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000) });
    } catch (err) {
      throw new Error(`downloading a Telegram file failed: ${opts.client.redact(errorMessage(err))}`);
    }
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      throw new Error(`downloading a Telegram file failed: HTTP ${res.status}`);
    }
    return readCapped(res.body, max);
  };
}

/** reads `path` only when it resolves (symlinks followed) to a file inside `dir` */
async function readLocal(path: string, dir: string, max: number): Promise<Buffer> {
  const [real, root] = await Promise.all([realpath(path).catch(() => undefined), realpath(dir).catch(() => dir)]);
  const st = real ? await stat(real).catch(() => undefined) : undefined;
  if (!real || !st?.isFile()) {
    throw new Error(
      "the Bot API server (channels.telegram.api_base) runs with --local and gave a path on its own disk that this machine cannot read; share its working directory with the gateway (channels.telegram.local_dir), or run it without --local",
    );
  }
  const rel = relative(root, real);
  if (rel === "" || rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel)) {
    throw new Error("the Bot API server gave a file path outside channels.telegram.local_dir; refusing to read it");
  }
  if (st.size > max) throw tooBig(st.size, max);
  return readFile(real);
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
