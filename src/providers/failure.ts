// Every way a provider call can fail becomes one closed reason. The router
// decides only on the reason, so the rules live here, in one place:
// status code first, then the provider's error code/type, then body text.
import { ProviderError, type FailureReason } from "./types.ts";

/** Seconds or an HTTP date in Retry-After; retry-after-ms wins when present. */
export function parseRetryAfter(headers: Headers | Record<string, string | undefined> | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const get = (k: string) => (headers instanceof Headers ? headers.get(k) : (headers[k] ?? headers[k.toLowerCase()])) ?? undefined;
  const ms = get("retry-after-ms");
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const ra = get("retry-after");
  if (!ra) return undefined;
  if (/^\d+(\.\d+)?$/.test(ra.trim())) return Math.round(Number(ra) * 1000);
  const at = Date.parse(ra);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/** Removes anything that looks like a credential from text bound for logs and errors. */
export function scrubSecrets(text: string, secrets: (string | undefined)[] = []): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join("***");
  return out
    .replace(/\b(sk|gsk|pk|rk|xai|sk-ant|sk-or)-[A-Za-z0-9_\-]{6,}/g, "$1-***")
    .replace(/(Bearer\s+)[A-Za-z0-9._\-]+/gi, "$1***")
    .replace(/(api[-_]?key["'=:\s]+)[A-Za-z0-9._\-]{6,}/gi, "$1***");
}

interface ErrorBody {
  code?: string;
  type?: string;
  message?: string;
}

/** The error object of an OpenAI-style or Anthropic-style body. */
export function errorBodyOf(body: unknown): ErrorBody {
  if (!body || typeof body !== "object") return {};
  const b = body as Record<string, unknown>;
  const e = (b.error && typeof b.error === "object" ? b.error : b) as Record<string, unknown>;
  return {
    ...(typeof e.code === "string" ? { code: e.code } : typeof e.code === "number" ? { code: String(e.code) } : {}),
    ...(typeof e.type === "string" ? { type: e.type } : {}),
    ...(typeof e.message === "string" ? { message: e.message } : typeof b.message === "string" ? { message: b.message } : {}),
  };
}

const CONTEXT = /context[_ ]length|maximum context|context window|prompt is too long|too many tokens|reduce the length|input is too long|max_tokens.*exceed/i;
const BILLING = /insufficient[_ ]quota|billing|credit balance|payment|quota exceeded|exceeded your current quota|balance/i;
const MODEL_MISSING = /model[_ ]not[_ ]found|does not exist|no such model|unknown model|model .* not found|invalid model/i;
const OVERLOADED = /overloaded|capacity|temporarily unavailable|try again later/i;

/** Classifies an HTTP error answer. */
export function classifyHttp(status: number, body: unknown, headers?: Headers | Record<string, string | undefined>, secrets: (string | undefined)[] = []): ProviderError {
  const e = errorBodyOf(body);
  const text = `${e.code ?? ""} ${e.type ?? ""} ${e.message ?? (typeof body === "string" ? body : "")}`;
  let reason: FailureReason;
  if (status === 401 || status === 403 || /invalid_api_key|authentication_error|permission_error/.test(text)) reason = "auth";
  else if (status === 402 || BILLING.test(text)) reason = "billing";
  else if (status === 413 || CONTEXT.test(text)) reason = "context_overflow";
  else if (status === 429 || /rate_limit/.test(text)) reason = "rate_limit";
  else if (status === 529 || /overloaded_error/.test(text)) reason = "overloaded";
  else if (status === 404 || MODEL_MISSING.test(text)) reason = "model_not_found";
  else if (status === 408 || status === 504) reason = "timeout";
  else if (status === 503) reason = OVERLOADED.test(text) ? "overloaded" : "server_error";
  else if (status >= 500) reason = "server_error";
  else if (status >= 400) reason = "format";
  else reason = "server_error";
  const retryAfterMs = parseRetryAfter(headers);
  const detail = scrubSecrets((e.message ?? (typeof body === "string" ? body : "")).replace(/\s+/g, " ").slice(0, 300), secrets);
  return new ProviderError(reason, `HTTP ${status}${detail ? `: ${detail}` : ""}`, {
    status,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(e.code ? { providerCode: e.code } : e.type ? { providerCode: e.type } : {}),
  });
}

const NETWORK_CODES = /ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EPIPE|EHOSTUNREACH|ENETUNREACH|UND_ERR_SOCKET|UND_ERR_CONNECT|socket hang up|terminated|other side closed|fetch failed|network/i;

/** Classifies anything thrown while calling (no HTTP answer, or a broken one). */
export function classifyThrown(err: unknown, signal?: AbortSignal, secrets: (string | undefined)[] = []): ProviderError {
  if (err instanceof ProviderError) return err;
  if (signal?.aborted) return new ProviderError("aborted", "the request was cancelled", { cause: err });
  const e = err as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string } };
  const text = `${e.name ?? ""} ${e.code ?? ""} ${e.message ?? String(err)} ${e.cause?.code ?? ""} ${e.cause?.message ?? ""}`;
  const msg = scrubSecrets((e.message ?? String(err)).slice(0, 300), secrets);
  if (/TimeoutError|timed? ?out|ETIMEDOUT|UND_ERR_.*TIMEOUT/i.test(text)) return new ProviderError("timeout", `timed out: ${msg}`, { cause: err });
  if (/AbortError|aborted/i.test(text)) return new ProviderError("timeout", `timed out: ${msg}`, { cause: err });
  if (NETWORK_CODES.test(text)) return new ProviderError("network", `network error: ${msg}`, { cause: err });
  if (err instanceof SyntaxError) return new ProviderError("server_error", `malformed response: ${msg}`, { cause: err });
  return new ProviderError("network", msg, { cause: err });
}
