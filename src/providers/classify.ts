// Turns every way a provider call can fail into a ProviderError with one
// closed reason. The router decides on the reason alone, so the mapping is the
// policy: `format`, `context_overflow` and `aborted` stop the request; every
// other reason moves it to the next candidate.
//
// A provider that answers 200 with a body we cannot read (malformed JSON, no
// choices) is `server_error`, not `format`: `format` means OUR request was
// wrong and another candidate would refuse it too, while garbage from one
// provider says nothing about the others.
//
// Messages never carry a secret: API keys, bearer tokens, key headers and
// proxy credentials are scrubbed, and the caller can name extra secrets.
import { ProviderError, type FailureReason } from "./types.ts";

/** Headers as the SDKs (Headers) or node:http (a plain record) give them. */
export type HeaderSource =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>
  | undefined;

export interface ClassifyOptions {
  /** who was called, e.g. `model "gpt4" (openai/gpt-4o)`; starts the message */
  label?: string;
  /** exact strings to remove from the message (the API key in use) */
  secrets?: readonly (string | undefined)[];
  /** current time in ms, for Retry-After dates (default Date.now()) */
  now?: number;
}

const MAX_DETAIL = 500;

function header(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as { get?: unknown }).get === "function") {
    return (headers as { get(n: string): string | null }).get(name) ?? undefined;
  }
  const rec = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(rec).find((k) => k.toLowerCase() === name);
  const v = key === undefined ? undefined : rec[key];
  return Array.isArray(v) ? v[0] : v;
}

/** Milliseconds the provider asks us to wait: retry-after-ms, or Retry-After in seconds or as an HTTP date. */
export function parseRetryAfter(headers: HeaderSource, now: number = Date.now()): number | undefined {
  const ms = header(headers, "retry-after-ms")?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.round(Number(ms));
  const ra = header(headers, "retry-after")?.trim();
  if (!ra) return undefined;
  if (/^\d+(\.\d+)?$/.test(ra)) return Math.round(Number(ra) * 1000);
  const at = Date.parse(ra);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Removes API keys, bearer tokens, key headers/parameters, URL credentials and the given secrets. */
export function scrubSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join("[redacted]");
  return out
    .replace(/\b((?:sk|pk|rk)-)[A-Za-z0-9_*.-]{6,}/g, "$1[redacted]")
    .replace(/\bAIza[0-9A-Za-z_-]{20,}/g, "[redacted]")
    .replace(/\b(bearer\s+)[^\s"',;]+/gi, "$1[redacted]")
    .replace(/\b((?:x-)?api[-_]key|authorization|proxy-authorization)(["']?\s*[:=]\s*["']?)(?!bearer\b)[^\s"',;]+/gi, "$1$2[redacted]")
    .replace(/([?&](?:key|api[-_]key|token|access_token)=)[^&\s"']+/gi, "$1[redacted]")
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+:[^\s/@]+@/gi, "$1***@");
}

interface ErrorInfo {
  message?: string;
  code?: string;
  type?: string;
}

const str = (v: unknown): string | undefined =>
  typeof v === "string" && v !== "" ? v : typeof v === "number" ? String(v) : undefined;

/** The message/code/type of the error bodies providers send (OpenAI, Anthropic, Google, OpenRouter, plain). */
export function errorInfo(body: unknown): ErrorInfo {
  if (Array.isArray(body)) return errorInfo(body[0]);
  if (typeof body === "string") {
    const t = body.trim();
    if (!t) return {};
    try {
      return errorInfo(JSON.parse(t));
    } catch {
      return { message: t };
    }
  }
  if (!body || typeof body !== "object") return {};
  const o = body as Record<string, unknown>;
  const inner = o.error;
  if (typeof inner === "string") return { message: inner, ...pick(o, "code", "type") };
  if (inner && typeof inner === "object") {
    const e = inner as Record<string, unknown>;
    const info: ErrorInfo = {};
    const message = str(e.message);
    const code = str(e.code) ?? str(e.status);
    const type = str(e.type) ?? (o.type !== "error" ? str(o.type) : undefined);
    if (message) info.message = message;
    if (code) info.code = code;
    if (type) info.type = type;
    return info;
  }
  const info: ErrorInfo = pick(o, "code", "type");
  const message = str(o.message) ?? str(o.detail) ?? str(o.msg);
  if (message) info.message = message;
  return info;
}

function pick(o: Record<string, unknown>, ...keys: ("code" | "type")[]): ErrorInfo {
  const info: ErrorInfo = {};
  for (const k of keys) {
    const v = str(o[k]);
    if (v) info[k] = v;
  }
  return info;
}

const CONTEXT_CODES = new Set(["context_length_exceeded", "request_too_large", "string_above_max_length_tokens"]);
const CONTEXT_TEXT =
  /maximum context length|context[ _]length|context window|prompt is too long|prompt too long|input is too long|too many input tokens|exceeds? the maximum number of tokens|reduce the length of the messages|request_too_large/;
const BILLING_CODES = new Set([
  "insufficient_quota",
  "billing_hard_limit_reached",
  "billing_not_active",
  "billing_error",
  "insufficient_credits",
  "1113",
]);
const BILLING_TEXT =
  /credit balance|insufficient (credits|balance|funds|quota)|exceeded your current quota|billing|payment required|余额不足|欠费/;
const AUTH_CODES = new Set([
  "invalid_api_key",
  "authentication_error",
  "permission_error",
  "unauthenticated",
  "permission_denied",
  "invalid_authentication",
]);
const AUTH_TEXT = /api key not valid|invalid api key|incorrect api key|invalid x-api-key|invalid authentication/;
const RATE_CODES = new Set(["rate_limit_exceeded", "rate_limit_error", "resource_exhausted", "rate_limited"]);
const MODEL_CODES = new Set(["model_not_found", "not_found_error", "not_found"]);
const MODEL_TEXT = /model.{0,120}(does not exist|not found|not exist)|no such model|unknown model|invalid model|not a valid model/;

/** The reason for an HTTP failure (or an error body without a status: pass 0). */
export function reasonForHttp(status: number, info: ErrorInfo): FailureReason {
  const codes = [info.code, info.type].filter((c): c is string => !!c).map((c) => c.toLowerCase());
  const has = (set: Set<string>) => codes.some((c) => set.has(c));
  const text = `${codes.join(" ")} ${info.message ?? ""}`.toLowerCase();
  const clientSide = status === 400 || status === 413 || status === 422 || status < 400;

  if (status === 413 || (clientSide && (has(CONTEXT_CODES) || CONTEXT_TEXT.test(text)))) return "context_overflow";
  if (status === 402 || has(BILLING_CODES)) return "billing";
  if ((clientSide || status === 403 || status === 429) && BILLING_TEXT.test(text)) return "billing";
  if (status === 401 || status === 403 || has(AUTH_CODES) || (clientSide && AUTH_TEXT.test(text))) return "auth";
  if (status === 529 || codes.includes("overloaded_error") || ((status === 503 || status === 429 || status < 400) && /overloaded/.test(text))) {
    return "overloaded";
  }
  if (status === 429 || has(RATE_CODES)) return "rate_limit";
  if (status === 408 || status === 504 || status === 524 || codes.includes("timeout_error")) return "timeout";
  if (status === 404 || has(MODEL_CODES) || (clientSide && MODEL_TEXT.test(text))) return "model_not_found";
  if (status >= 500) return "server_error";
  if (status >= 400) return "format";
  // A 2xx/3xx (or status-less) error body we could not place: the provider failed.
  return codes.includes("invalid_request_error") ? "format" : "server_error";
}

const HINTS: Record<FailureReason, string> = {
  auth: "check the api_key of this model entry",
  billing: "add credit or raise the spending limit with the provider, or use another key",
  rate_limit: "too many requests; slow down, or add keys or entries to share the load",
  overloaded: "the provider is overloaded; try again later",
  timeout: "the provider did not answer in time; raise request_timeout if the model is slow",
  network: "check api_base, the network connection and the proxy setting",
  server_error: "the provider failed; try again later",
  model_not_found: "check the model id and the api_base of this entry",
  format: "the provider rejected the request as invalid",
  context_overflow: "the conversation is too long for this model; start a new session (/new) or use a model with a larger context window",
  aborted: "the request was cancelled",
};

/** A ProviderError with a scrubbed, bounded message: `<label>: <what> (<hint>)`. */
export function providerError(
  reason: FailureReason,
  what: string,
  opts: ClassifyOptions & { status?: number; retryAfterMs?: number; providerCode?: string; cause?: unknown } = {},
): ProviderError {
  let detail = scrubSecrets(what, opts.secrets).replace(/\s+/g, " ").trim();
  if (detail.length > MAX_DETAIL) detail = `${detail.slice(0, MAX_DETAIL)}…`;
  let hint = HINTS[reason];
  if (opts.retryAfterMs !== undefined) hint += `; the provider asks to retry after ${Math.ceil(opts.retryAfterMs / 1000)}s`;
  const prefix = opts.label ? `${scrubSecrets(opts.label, opts.secrets)}: ` : "";
  return new ProviderError(reason, `${prefix}${detail} (${hint})`, {
    ...(opts.status !== undefined ? { status: opts.status } : {}),
    ...(opts.retryAfterMs !== undefined ? { retryAfterMs: opts.retryAfterMs } : {}),
    ...(opts.providerCode !== undefined ? { providerCode: opts.providerCode } : {}),
    ...(opts.cause !== undefined ? { cause: opts.cause } : {}),
  });
}

/** Classifies an HTTP error answer: status, raw body text and response headers. */
export function classifyHttpError(
  status: number,
  bodyText: string,
  headers?: HeaderSource,
  opts: ClassifyOptions = {},
): ProviderError {
  return classifyBody(status, errorInfo(bodyText), headers, opts, bodyText);
}

function classifyBody(status: number, info: ErrorInfo, headers: HeaderSource, opts: ClassifyOptions, raw = ""): ProviderError {
  const reason = reasonForHttp(status, info);
  const retryAfterMs = parseRetryAfter(headers, opts.now);
  const providerCode = info.code ?? info.type;
  const message = info.message ?? (raw.trim() ? raw.trim() : "no error message");
  const what = `${status > 0 ? `HTTP ${status}` : "error"}${providerCode ? ` ${providerCode}` : ""}: ${message}`;
  return providerError(reason, what, {
    ...opts,
    ...(status > 0 ? { status } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(providerCode ? { providerCode } : {}),
  });
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_FAIL",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_CONNECT",
  "UND_ERR_ABORTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "CERT_HAS_EXPIRED",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "ERR_STREAM_PREMATURE_CLOSE",
]);
const TIMEOUT_CODES = new Set([
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);
const NETWORK_TEXT =
  /socket hang up|terminated|other side closed|fetch failed|connection error|premature close|network|proxy response \(\d+\)|proxy authentication required|econnre|getaddrinfo/i;

/** The error and its causes, outermost first (at most 6 deep). */
function chain(err: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let e: unknown = err;
  while (e && typeof e === "object" && out.length < 6) {
    out.push(e as Record<string, unknown>);
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

const isTimeoutReason = (r: unknown): boolean =>
  !!r && typeof r === "object" && (r as { name?: unknown }).name === "TimeoutError";

/**
 * Classifies anything thrown by a provider call: SDK errors (APIError and its
 * connection/timeout/abort subclasses, duck-typed so any SDK copy works),
 * undici/node network errors, aborts and timeouts. `signal` is the caller's
 * signal: when it is aborted the reason is "aborted" — or "timeout" when it
 * was aborted by AbortSignal.timeout().
 */
export function classifyThrown(err: unknown, signal?: AbortSignal, opts: ClassifyOptions = {}): ProviderError {
  if (err instanceof ProviderError) return err;
  if (signal?.aborted) {
    return isTimeoutReason(signal.reason)
      ? providerError("timeout", "the request timed out", { ...opts, cause: err })
      : providerError("aborted", "the request was cancelled by the caller", { ...opts, cause: err });
  }
  const links = chain(err);
  const top = links[0] ?? {};
  const kinds = classNames(top);
  const status = typeof top.status === "number" ? top.status : undefined;

  // SDK APIError with an HTTP status: classify the body it carries.
  if (status !== undefined && status > 0) {
    return classifyBody(status, sdkErrorInfo(top), top.headers as HeaderSource, { ...opts }, errMessage(top));
  }
  const timedOut = links.some((l) => isTimeoutReason(l) || isTimeoutReason(l.reason) || classNames(l).has("APIConnectionTimeoutError"));
  if (kinds.has("APIUserAbortError") || kinds.has("AbortError")) {
    if (timedOut) return providerError("timeout", "the request timed out", { ...opts, cause: err });
    return providerError("aborted", "the request was aborted", { ...opts, cause: err });
  }
  const codes = links.map((l) => (typeof l.code === "string" ? l.code : "")).filter(Boolean);
  if (timedOut || codes.some((c) => TIMEOUT_CODES.has(c))) {
    return providerError("timeout", `the request timed out${codes[0] ? ` (${codes[0]})` : ""}`, { ...opts, cause: err });
  }
  // A status-less APIError carrying an error body: an error event inside a stream.
  if (top.error && typeof top.error === "object" && !codes.some((c) => NETWORK_CODES.has(c))) {
    const info = sdkErrorInfo(top);
    if (info.code || info.type || info.message) return classifyBody(0, info, undefined, opts);
  }
  const texts = links.map(errMessage).join(" | ");
  if (codes.some((c) => NETWORK_CODES.has(c)) || kinds.has("APIConnectionError") || NETWORK_TEXT.test(texts)) {
    const code = codes.find((c) => NETWORK_CODES.has(c));
    return providerError("network", `connection failed${code ? ` (${code})` : ""}: ${texts}`, { ...opts, cause: err });
  }
  if (links.some((l) => classNames(l).has("SyntaxError"))) {
    return providerError("server_error", `the provider answered with malformed JSON: ${texts}`, { ...opts, cause: err });
  }
  return providerError("server_error", `unexpected failure: ${texts || String(err)}`, { ...opts, cause: err });
}

/** The error's own name and the class names along its prototype chain. */
function classNames(e: Record<string, unknown>): Set<string> {
  const names = new Set<string>();
  if (typeof e.name === "string") names.add(e.name);
  let proto: unknown = Object.getPrototypeOf(e);
  for (let i = 0; proto && i < 8; i++) {
    const n = (proto as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof n === "string" && n) names.add(n);
    proto = Object.getPrototypeOf(proto);
  }
  return names;
}

function errMessage(e: Record<string, unknown>): string {
  return typeof e.message === "string" ? e.message : "";
}

/** The error body an SDK APIError carries (OpenAI: the inner `error`; Anthropic: the whole body). */
function sdkErrorInfo(e: Record<string, unknown>): ErrorInfo {
  const body = e.error;
  if (body && typeof body === "object") {
    const b = body as Record<string, unknown>;
    const info = errorInfo("error" in b ? b : { error: b });
    if (info.message || info.code || info.type) return info;
  }
  // No JSON body: the SDK put the raw text into the message after the status.
  const msg = errMessage(e).replace(/^\d{3}\s+/, "");
  return msg && !/status code \(no body\)/.test(msg) ? errorInfo(msg) : {};
}
