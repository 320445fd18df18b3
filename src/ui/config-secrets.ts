// The config as the control page may show it: every secret the file spells
// out is replaced by a placeholder naming its key, and on the way back each
// placeholder is put back as the value it stands for. The work is done on the
// text, so the person's comments and layout survive an edit. `${VAR}`
// references are not secrets (their values live in the environment) and stay.
import JSON5 from "json5";

/** keys whose string values are secrets wherever they appear */
const SECRET_KEY = /(^|_)(api_?key|api_?keys|token|secret|password|passwd|app_secret|encrypt_key|verification_token|client_secret|bot_token|access_token|auth_token)$|^(apiKey|botToken|appSecret|accessToken|authToken|clientSecret|encryptKey|verificationToken|key)$/i;
/** maps whose every value is a secret (header values carry credentials) */
const SECRET_MAPS = /^(custom_headers|headers|env|vars)$/i;
const PLACEHOLDER = /"‹secret (\d+)[^›]*›"/g;

export interface MaskedConfig {
  text: string;
  /** placeholder number → the original value */
  secrets: string[];
}

function collect(value: unknown, key: string, inSecretMap: boolean, out: Set<string>): void {
  if (typeof value === "string") {
    if ((inSecretMap || SECRET_KEY.test(key)) && value && !/^\$\{[^}]+\}$/.test(value.trim())) out.add(value);
    else if (/^[a-z][a-z0-9+.-]*:\/\/[^/\s]*:[^@/\s]+@/i.test(value)) out.add(value); // URL with user:password@
    else if (/[?&](key|api_key|apikey|token|access_token)=/i.test(value)) out.add(value);
    return;
  }
  if (Array.isArray(value)) return value.forEach((v) => collect(v, key, inSecretMap, out));
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) collect(v, k, inSecretMap || SECRET_MAPS.test(k), out);
  }
}

/** the text with secrets replaced; a file that does not parse is not shown at all */
export function maskConfig(text: string): MaskedConfig | undefined {
  let parsed: unknown;
  try {
    parsed = JSON5.parse(text);
  } catch {
    return undefined;
  }
  const found = new Set<string>();
  collect(parsed, "", false, found);
  // longest first, so a secret that contains another is replaced whole
  const secrets = [...found].sort((a, b) => b.length - a.length);
  let masked = text;
  secrets.forEach((secret, i) => {
    for (const quoted of [JSON.stringify(secret), `'${secret.replace(/'/g, "\\'")}'`]) {
      masked = masked.split(quoted).join(`"‹secret ${i + 1}: unchanged›"`);
    }
  });
  return { text: masked, secrets };
}

/** puts the secrets back; a placeholder that stands for nothing is an error naming it */
export function unmaskConfig(text: string, secrets: readonly string[]): { text: string } | { error: string } {
  let unknown: string | undefined;
  const out = text.replace(PLACEHOLDER, (whole, n: string) => {
    const secret = secrets[Number(n) - 1];
    if (secret === undefined) {
      unknown ??= whole;
      return whole;
    }
    return JSON.stringify(secret);
  });
  return unknown ? { error: `${unknown} does not stand for any current secret: type the value itself` } : { text: out };
}
