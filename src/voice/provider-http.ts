// Calls to a provider's OpenAI-compatible non-chat endpoints (audio
// transcriptions, images) for one router CallTarget: URL and auth headers for
// the entry's protocol, a timeout, a hand-built multipart body (independent of
// which fetch implementation is used), and every failure turned into a
// ProviderError with a closed reason so the router can fail over. Messages
// never carry the key.
import { randomBytes } from "node:crypto";
import { redact } from "../core/redact.ts";
import { fetchVia } from "../net/proxy.ts";
import { classifyHttp } from "../providers/failure.ts";
import { ProviderError, type CallTarget, type ModelEntry } from "../providers/types.ts";

/** The subset of fetch these calls use (global fetch, undici's fetch, a proxying fetch). */
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: Uint8Array | string; signal?: AbortSignal }) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}>;

/** Picks the fetch for an entry (e.g. one that honours its proxy); default: global fetch. */
export type FetchFor = (entry: ModelEntry) => FetchLike;

/** The global fetch, or one through the entry's proxy (model_list[].proxy, providers.<vendor>.proxy). */
export const defaultFetchFor: FetchFor = (entry) => fetchVia(entry.proxy) as unknown as FetchLike;

const DEFAULT_AZURE_API_VERSION = "2024-10-21";

/** `{apiBase}/{path}`, or the Azure deployment form of it. */
export function endpointUrl(entry: ModelEntry, path: string): string {
  const clean = path.replace(/^\/+/, "");
  if (entry.protocol === "azure") {
    const version = entry.apiVersion ?? DEFAULT_AZURE_API_VERSION;
    return `${entry.apiBase}/openai/deployments/${encodeURIComponent(entry.modelId)}/${clean}?api-version=${encodeURIComponent(version)}`;
  }
  return `${entry.apiBase}/${clean}`;
}

export function authHeaders(target: CallTarget): Record<string, string> {
  const headers: Record<string, string> = { ...(target.entry.customHeaders ?? {}) };
  if (target.apiKey) {
    if (target.entry.protocol === "azure") headers["api-key"] = target.apiKey;
    else headers.authorization = `Bearer ${target.apiKey}`;
  }
  return headers;
}

export type MultipartField =
  | { name: string; value: string }
  | { name: string; filename: string; contentType: string; data: Buffer };

/** A multipart/form-data body and its content type. */
export function multipartBody(fields: readonly MultipartField[]): { body: Buffer; contentType: string } {
  const boundary = `----switchboard${randomBytes(12).toString("hex")}`;
  const parts: Buffer[] = [];
  const quote = (s: string) => s.replace(/["\r\n\\]/g, "_");
  for (const f of fields) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${quote(f.name)}"`;
    if ("data" in f) {
      head += `; filename="${quote(f.filename)}"\r\nContent-Type: ${f.contentType}\r\n\r\n`;
      parts.push(Buffer.from(head, "utf8"), f.data, Buffer.from("\r\n"));
    } else {
      parts.push(Buffer.from(`${head}\r\n\r\n${f.value}\r\n`, "utf8"));
    }
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}


/** Removes the key (and anything after "Bearer ") from text that may be shown or logged. */
export function scrub(text: string, apiKey: string | undefined): string {
  const out = redact(text, [apiKey]);
  return out.length > 300 ? `${out.slice(0, 300)}…` : out;
}

export interface PostResult {
  status: number;
  contentType: string;
  body: Buffer;
}

/**
 * POSTs to the target's endpoint with the entry's request timeout (and the
 * caller's signal). Resolves only on 2xx; throws ProviderError otherwise.
 */
export async function postToProvider(
  target: CallTarget,
  path: string,
  payload: { body: Uint8Array | string; contentType: string },
  signal: AbortSignal,
  fetchFor: FetchFor = defaultFetchFor,
  timeoutMs?: number,
): Promise<PostResult> {
  const entry = target.entry;
  const what = `${entry.modelName} (${entry.vendor || "openai-compatible"})`;
  if (!entry.apiBase) throw new ProviderError("format", `${what} has no api_base configured`);
  const timeout = AbortSignal.timeout(timeoutMs ?? entry.requestTimeoutMs);
  const combined = AbortSignal.any([signal, timeout]);
  let res: Awaited<ReturnType<FetchLike>>;
  let body: Buffer;
  try {
    res = await fetchFor(entry)(endpointUrl(entry, path), {
      method: "POST",
      headers: { ...authHeaders(target), "content-type": payload.contentType, accept: "application/json" },
      body: payload.body,
      signal: combined,
    });
    body = Buffer.from(await res.arrayBuffer());
  } catch (err) {
    if (signal.aborted) throw new ProviderError("aborted", `request to ${what} was cancelled`, { cause: err });
    if (timeout.aborted) throw new ProviderError("timeout", `${what} did not answer in time`, { cause: err });
    const code = (err as { cause?: { code?: unknown } }).cause?.code;
    throw new ProviderError("network", `could not reach ${what}${typeof code === "string" ? ` (${code})` : ""}`, { cause: err });
  }
  if (res.status < 200 || res.status >= 300) {
    const text = body.toString("utf8");
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // a plain-text error body is classified as text
    }
    const e = classifyHttp(res.status, parsed, { "retry-after": res.headers.get("retry-after") ?? undefined }, [target.apiKey]);
    throw new ProviderError(e.reason, e.message.replace(/^HTTP (\d+)/, `HTTP $1 from ${what}`), {
      status: res.status,
      ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
      ...(e.providerCode ? { providerCode: e.providerCode } : {}),
    });
  }
  return { status: res.status, contentType: res.headers.get("content-type") ?? "", body };
}

/** Parses a JSON body, or throws ProviderError("server_error") naming the provider (another candidate may do better). */
export function parseJsonBody(result: PostResult, target: CallTarget): unknown {
  try {
    return JSON.parse(result.body.toString("utf8"));
  } catch {
    throw new ProviderError("server_error", `${target.entry.modelName} answered with something that is not JSON`);
  }
}
