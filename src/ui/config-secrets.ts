// The config as the control page may show it: every string literal holding a
// secret is replaced by a numbered placeholder, and on the way back each
// placeholder is put back as the literal it stands for. The work is done on the
// text, so the person's comments and layout survive an edit. `${VAR}`
// references are not secrets (their values live in the environment) and stay.
import JSON5 from "json5";
import { secretsOf } from "../core/redact.ts";

/** a JSON5 string literal, double- or single-quoted */
const STRING_LITERAL = /"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g;
const PLACEHOLDER = /"‹secret (\d+)[^›]*›"/g;

export interface MaskedConfig {
  text: string;
  /** placeholder number → the original literal, as written */
  secrets: string[];
}

function literalValue(literal: string): string | undefined {
  try {
    return JSON5.parse(literal) as string;
  } catch {
    return undefined;
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
  // what counts as a secret is the redactor's one definition (keys, tokens,
  // header values, URL passwords and credential query values)
  const found = secretsOf(parsed);
  const secrets: string[] = [];
  const masked = text.replace(STRING_LITERAL, (literal) => {
    const value = literalValue(literal);
    if (value === undefined || /^\$\{[^}]+\}$/.test(value.trim())) return literal;
    if (!found.some((secret) => value.includes(secret))) return literal;
    // a whole literal goes, so a URL keeps neither its password nor its query key
    let n = secrets.indexOf(literal);
    if (n === -1) n = secrets.push(literal) - 1;
    return `"‹secret ${n + 1}: unchanged›"`;
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
    return secret;
  });
  return unknown ? { error: `${unknown} does not stand for any current secret: type the value itself` } : { text: out };
}
