// Calls to a provider's OpenAI-compatible non-chat endpoints (audio
// transcriptions, images) for one router CallTarget: URL and auth headers for
// the entry's protocol, a timeout, a hand-built multipart body (independent of
// which fetch implementation is used), and every failure turned into a
// ProviderError with a closed reason so the router can fail over. Messages
// never carry the key.
import { randomBytes } from "node:crypto";
import { ProviderError, type CallTarget, type FailureReason, type ModelEntry } from "../providers/types.ts";

/** The subset of fetch these calls use (global fetch, undici's fetch, a proxying fetch). */
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: Uint8Array | string; signal?: AbortSignal }) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}>;

/** Picks the fetch for an entry (e.g. one that honours its proxy); default: global fetch. */
export type FetchFor = (entry: ModelEntry) => FetchLike;

export const defaultFetchFor: FetchFor = () => fetch as unknown as FetchLike;

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

/** The failure reason of an HTTP status (and the provider's error code, when it gave one). */
export function reasonForStatus(status: number, providerCode?: string): FailureReason {
  if (providerCode === "insufficient_quota") return "billing";
  if (status === 401 || status === 403) return "auth";
  if (status === 402) return "billing";
  if (status === 429) return "rate_limit";
  if (status === 404) return "model_not_found";
  if (status === 408 || status === 504) return "timeout";
  if (status === 503 || status === 529) return "overloaded";
  if (status >= 500) return "server_error";
  return "format";
}

function retryAfterMs(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function providerError(body: string): { message?: string; code?: string } {
  try {
    const json = JSON.parse(body) as { error?: { message?: unknown; code?: unknown; type?: unknown } | string; message?: unknown };
    const e = json.error;
    if (typeof e === "string") return { message: e };
    const message = typeof e?.message === "string" ? e.message : typeof json.message === "string" ? json.message : undefined;
    const code = typeof e?.code === "string" ? e.code : typeof e?.type === "string" ? e.type : undefined;
    return { ...(message ? { message } : {}), ...(code ? { code } : {}) };
  } catch {
    return body.trim() ? { message: body.trim() } : {};
  }
}

/** Removes the key (and anything after "Bearer ") from text that may be shown or logged. */
export function scrub(text: string, apiKey: string | undefined): string {
  let out = text.replace(/Bearer\s+\S+/gi, "Bearer [redacted]");
  if (apiKey && apiKey.length >= 4) out = out.split(apiKey).join("[redacted]");
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
    const { message, code } = providerError(body.toString("utf8"));
    const retry = retryAfterMs(res.headers.get("retry-after"));
    throw new ProviderError(reasonForStatus(res.status, code), `HTTP ${res.status} from ${what}${message ? `: ${scrub(message, target.apiKey)}` : ""}`, {
      status: res.status,
      ...(retry !== undefined ? { retryAfterMs: retry } : {}),
      ...(code ? { providerCode: code } : {}),
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
