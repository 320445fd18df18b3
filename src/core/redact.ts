// The one redaction helper. Every text that leaves the process for a person
// or a file — log lines, error messages, `status` (HTTP, text and JSON),
// `config get`, `doctor`, state files — passes through redact(), which
// removes:
//   1. every secret the loaded configuration holds (registered with
//      registerSecrets/registerConfigSecrets when the config is read or the
//      router is built): keys, tokens, custom header values, the passwords of
//      URLs (proxy user:pass@, api_base userinfo) and key-like query values;
//   2. anything shaped like a credential even when nobody registered it
//      (sk-… keys, Bearer tokens, key=… pairs, Google AIza keys, URL
//      passwords), because a provider may echo a header we never saw.
// Secrets are matched as whole strings (one combined pattern, rebuilt when
// the set changes), so the cost per call is one regex pass however many
// secrets are known.

export const REDACTED = "[redacted]";

/** Shorter values are not treated as secrets: masking "k" or "dev" would garble every line. */
const MIN_SECRET_LENGTH = 6;

const known = new Set<string>();
let combined: RegExp | undefined;
let dirty = false;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Adds secrets (keys, tokens, passwords) that redact() must remove from now on. */
export function registerSecrets(values: Iterable<string | undefined | null>): void {
  for (const v of values) {
    const s = typeof v === "string" ? v.trim() : "";
    if (s.length < MIN_SECRET_LENGTH || known.has(s)) continue;
    known.add(s);
    // a key also travels URL-encoded (query strings) and inside "Bearer …"
    const enc = encodeURIComponent(s);
    if (enc !== s) known.add(enc);
    dirty = true;
  }
}

/** Forgets every registered secret (tests). */
export function clearRegisteredSecrets(): void {
  known.clear();
  combined = undefined;
  dirty = false;
}

function pattern(): RegExp | undefined {
  if (dirty) {
    // longest first, so a secret that contains another is replaced whole
    const list = [...known].sort((a, b) => b.length - a.length).map(escapeRe);
    combined = list.length ? new RegExp(list.join("|"), "g") : undefined;
    dirty = false;
  }
  return combined;
}

/** Query parameters whose values are credentials (Gemini's ?key=, signed URLs …). */
const SECRET_QUERY = /([?&](?:key|api[-_]?key|apikey|access[-_]?token|token|auth|secret|password|sig|signature)=)[^&#\s"'<>]+/gi;

const SHAPES: [RegExp, string][] = [
  // URL userinfo: scheme://user:password@host
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@"']*:)[^@/\s"']+@/gi, `$1${REDACTED}@`],
  [SECRET_QUERY, `$1${REDACTED}`],
  // an Authorization header's whole value, scheme included
  [/\b(authorization["']?\s*[=:]\s*["']?)(?!(?:(?:Bearer|Basic)\s+)?\[redacted\])(?:(?:Bearer|Basic)\s+)?[^\s"'&,;}]+/gi, `$1${REDACTED}`],
  [/\b(?:sk|gsk|pk|rk|xai|sk-ant|sk-or|sk-proj)[-_][A-Za-z0-9_-]{6,}/g, REDACTED],
  [/\b(Bearer|Basic)\s+(?!\[redacted\])[^\s"',;]+/gi, `$1 ${REDACTED}`],
  [/\b(api[-_]?key|x-api-key|api-key|access[-_]?token|token|key|secret|password)(["']?\s*[=:]\s*["']?)(?!\[redacted\])[^\s"'&,;}]+/gi, `$1$2${REDACTED}`],
  [/\bAIza[0-9A-Za-z_-]{20,}/g, REDACTED],
];

/** The text with every known secret and every credential-shaped token replaced. */
export function redact(text: string, extra: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const s of extra) if (s && s.length >= 4) out = out.split(s).join(REDACTED);
  const re = pattern();
  if (re) out = out.replace(re, REDACTED);
  for (const [shape, by] of SHAPES) out = out.replace(shape, by);
  return out;
}

/** A deep copy of a JSON-like value with every string redacted (status reports, state files). */
export function redactValue<T>(value: T, extra: readonly (string | undefined)[] = []): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return redact(v, extra);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}

/** A URL fit for display: password and credential query values masked. */
export function redactUrl(url: string): string {
  return redact(url);
}

/** Show enough of a secret to tell two apart, never enough to use it. */
export function maskSecret(secret: string | undefined): string {
  if (!secret) return "(none)";
  if (secret.length <= 8) return "****";
  return `${secret.slice(0, 3)}…${secret.slice(-4)}`;
}

const SECRET_KEY_NAME = /(^|[_-])(secret|password|passwd|token|api_?keys?|apikey|key)$|(Secret|Password|Token|ApiKey|ApiKeys|Key)$|^(authorization|x-api-key|api-key|cookie)$/i;
/** header names whose values are public (OpenRouter's attribution headers, content negotiation) */
const PUBLIC_HEADERS = /^(content-type|accept|accept-language|user-agent|http-referer|referer|x-title)$/i;
/** containers whose every string value is a secret */
const SECRET_CONTAINER = /^(custom_headers|headers)$/i;

/** Secrets inside one string that is not itself secret: URL passwords and credential query values. */
function secretsInUrl(s: string, out: string[]): void {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(s.trim())) return;
  let u: URL;
  try {
    u = new URL(s.trim());
  } catch {
    return;
  }
  if (u.password) out.push(decodeURIComponent(u.password), u.password);
  for (const [k, v] of u.searchParams) if (/^(key|api[-_]?key|apikey|access[-_]?token|token|auth|secret|password|sig|signature)$/i.test(k) && v) out.push(v);
}

/**
 * Every secret a configuration object holds: values under secret-named keys
 * (api_key, token, app_secret, *_password …, also inside env blocks), every
 * value of custom_headers/headers, and URL passwords and credential query
 * values anywhere.
 */
export function secretsOf(config: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown, secret: boolean): void => {
    if (typeof v === "string") {
      if (secret) out.push(v);
      else secretsInUrl(v, out);
      return;
    }
    if (Array.isArray(v)) {
      for (const x of v) walk(x, secret);
      return;
    }
    if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (PUBLIC_HEADERS.test(k)) continue; // a Content-Type or X-Title value is no secret, and masking it everywhere garbles logs
        walk(x, secret || SECRET_KEY_NAME.test(k) || SECRET_CONTAINER.test(k));
      }
    }
  };
  walk(config, false);
  return [...new Set(out.filter((s) => s.trim().length >= MIN_SECRET_LENGTH))];
}

/** Registers every secret of a configuration object (see secretsOf). */
export function registerConfigSecrets(config: unknown): void {
  registerSecrets(secretsOf(config));
}
