// Every way a provider call can fail becomes one closed reason. The router
// decides only on the reason, so the rules live here, in one place:
// status code first, then the provider's error code/type, then body text.
import { redact } from "../core/redact.ts";
import { ProviderError, type FailureReason } from "./types.ts";
import { errorMessage } from "../core/errors.ts";

/** Seconds or an HTTP date in Retry-After; retry-after-ms wins when present. */
export function parseRetryAfter(headers: Headers | Record<string, string | undefined> | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  // anything with get() reads as Headers: the lean fetch's answers are Headers only once an SDK linked them
  const get = (k: string): string | undefined => {
    if (typeof headers.get === "function") return (headers as Headers).get(k) ?? undefined;
    const record = headers as Record<string, string | undefined>;
    return record[k] ?? record[k.toLowerCase()];
  };
  const ms = get("retry-after-ms");
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const ra = get("retry-after");
  if (!ra) return undefined;
  if (/^\d+(\.\d+)?$/.test(ra.trim())) return Math.round(Number(ra) * 1000);
  const at = Date.parse(ra);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/** Removes the config's secrets and anything credential-shaped (core/redact.ts). */
export function scrubSecrets(text: string, secrets: (string | undefined)[] = []): string {
  return redact(text, secrets);
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

// Each vendor's documented signals, matched on the provider's code/type and
// message. Billing (no credit, no quota, account in arrears) never fixes
// itself within minutes, so it gets its own long cooldown and its own hint.
//   OpenAI insufficient_quota / billing_hard_limit_reached; Anthropic "credit
//   balance is too low"; DeepSeek 402 "Insufficient Balance"; OpenRouter 402
//   "Insufficient credits"; Moonshot exceeded_current_quota_error; DashScope
//   (Qwen) Arrearage; VolcEngine/BytePlus AccountOverdueError; Zhipu 1113
//   (余额不足 / 欠费) and 1304 (daily quota); MiniMax 1008 (insufficient
//   balance); Gemini billing/"check your plan".
const BILLING = /insufficient[_ ]quota|billing|credit balance|insufficient[_ ](balance|credits?|funds)|payment[_ ]required|quota exceeded|exceeded (your )?current quota|exceeded_current_quota|arrearage|account ?overdue|overdue|余额不足|欠费|资源包|额度不足/i;
const CONTEXT = /context[_ ]length|maximum context|context window|prompt is too long|too many tokens|reduce the length|input is too long|max_tokens.*exceed|exceeds? the (model's )?(maximum|max) (context|input)|context_length_exceeded|string too long/i;
const AUTH = /invalid_api_key|authentication_error|permission_error|invalid api key|incorrect api key|unauthori[sz]ed/i;
const RATE = /rate_limit|rate limit|too many requests/i;
const MODEL_MISSING = /model[_ ]not[_ ]found|does not exist|no such model|unknown model|model .* not found|invalid model/i;
const OVERLOADED = /overloaded|capacity|temporarily unavailable|try again later/i;

/**
 * Numeric codes (Zhipu's error.code, MiniMax's base_resp.status_code) are
 * matched on the code field only — a "1000" inside a message ("max_tokens
 * must be at most 1000") is not an auth failure.
 */
const NUMERIC_CODES: Record<string, FailureReason> = {
  "1000": "auth", "1001": "auth", "1002": "auth", "1003": "auth", "1004": "auth",
  "1113": "billing", "1304": "billing", "1008": "billing",
  "1211": "model_not_found", "1261": "context_overflow",
  "1302": "rate_limit", "1303": "rate_limit", "1305": "overloaded",
};

function numericCode(body: unknown): FailureReason | undefined {
  const code = errorBodyOf(body).code;
  const b = body && typeof body === "object" ? (body as { base_resp?: { status_code?: unknown } }).base_resp : undefined;
  for (const c of [code, b?.status_code === undefined ? undefined : String(b.status_code)]) {
    if (c && NUMERIC_CODES[c]) return NUMERIC_CODES[c];
  }
  return undefined;
}

/** The provider's code, type and message of an OpenAI-, Anthropic-, Zhipu- or MiniMax-style body, as one text. */
function signalText(body: unknown): string {
  const e = errorBodyOf(body);
  const b = body && typeof body === "object" ? (body as { base_resp?: { status_code?: unknown; status_msg?: unknown } }).base_resp : undefined;
  const minimax = b ? `${String(b.status_code ?? "")} ${String(b.status_msg ?? "")}` : "";
  return `${e.code ?? ""} ${e.type ?? ""} ${e.message ?? (typeof body === "string" ? body : "")} ${minimax}`;
}

/** The closed reason of an HTTP error answer: status first, then the vendor's documented code and wording. */
export function reasonOf(status: number, body: unknown): FailureReason {
  const text = signalText(body);
  const coded = numericCode(body);
  if (coded && status !== 402) return coded;
  // billing is checked before auth: OpenAI answers insufficient_quota with 429, DashScope Arrearage with 400/403
  if (status === 402 || BILLING.test(text)) return "billing";
  if (status === 401 || status === 403 || AUTH.test(text)) return "auth";
  if (status === 413 || CONTEXT.test(text)) return "context_overflow";
  if (status === 429 || RATE.test(text)) return "rate_limit";
  if (status === 529 || /overloaded_error/.test(text)) return "overloaded";
  if (status === 404 || MODEL_MISSING.test(text)) return "model_not_found";
  if (status === 408 || status === 504) return "timeout";
  if (status === 503) return OVERLOADED.test(text) ? "overloaded" : "server_error";
  if (status >= 500) return "server_error";
  if (status >= 400) return "format";
  return "server_error";
}

/** Classifies an HTTP error answer. */
export function classifyHttp(status: number, body: unknown, headers?: Headers | Record<string, string | undefined>, secrets: (string | undefined)[] = []): ProviderError {
  const e = errorBodyOf(body);
  const reason = reasonOf(status, body);
  const retryAfterMs = parseRetryAfter(headers);
  const detail = scrubSecrets((e.message ?? (typeof body === "string" ? body : "")).replace(/\s+/g, " ").slice(0, 300), secrets);
  return new ProviderError(reason, `HTTP ${status}${detail ? `: ${detail}` : ""}`, {
    status,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(e.code ? { providerCode: e.code } : e.type ? { providerCode: e.type } : {}),
  });
}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "ECONNABORTED", "UND_ERR_SOCKET", "UND_ERR_CLOSED", "UND_ERR_CONNECT"]);
const TIMEOUT_CODES = new Set(["ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);
const NETWORK_TEXT = /fetch failed|socket hang up|other side closed|terminated|network/i;

function codeOf(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

/**
 * The one classifier for anything thrown while calling (no HTTP answer, or a
 * broken one). Only the caller's own signal means "aborted" — the request
 * was cancelled and must not fall back. Any other abort (an SDK's or a
 * timer's) is a timeout, which moves on to the next candidate.
 */
export function classifyThrown(err: unknown, signal?: AbortSignal, secrets: (string | undefined)[] = []): ProviderError {
  if (err instanceof ProviderError) return err;
  if (signal?.aborted) return new ProviderError("aborted", "the request was cancelled", { cause: err });
  const name = err instanceof Error ? err.name : "";
  const raw = errorMessage(err);
  const msg = scrubSecrets(raw.slice(0, 300), secrets);
  const code = codeOf(err);
  if (name === "TimeoutError" || (code && TIMEOUT_CODES.has(code)) || /timed? ?out/i.test(raw)) return new ProviderError("timeout", `timed out: ${msg}`, { cause: err });
  if (name === "AbortError" || /aborted/i.test(raw)) return new ProviderError("timeout", `timed out (aborted without a cancel): ${msg}`, { cause: err });
  if ((code && NETWORK_CODES.has(code)) || NETWORK_TEXT.test(raw)) return new ProviderError("network", `network error: ${msg}${code ? ` (${code})` : ""}`, { cause: err });
  if (err instanceof SyntaxError) return new ProviderError("server_error", `malformed response: ${msg}`, { cause: err });
  return new ProviderError("server_error", `unexpected error: ${msg}`, { cause: err });
}
