// Reading the config: the repair pre-pass (repair.ts), JSON5 (comments,
// trailing commas, unquoted keys), the `env` block, ${VAR} substitution, then
// the schema. Unknown keys become warnings naming their full path; invalid
// values become one ConfigError listing every problem with its key path and
// a fix (exit 78). Other gateways' forms are read first (compat.ts), and a
// PicoClaw `.security.yml` beside the file is laid over it (security.ts).
// A missing file at the default location means the embedded defaults; an
// empty file, or a --config path that does not exist, is an error.
import { existsSync, readFileSync } from "node:fs";
import JSON5 from "json5";
import { ConfigError } from "../core/errors.ts";
import { registerConfigSecrets } from "../core/redact.ts";
import { checkChainServable, checkModelEntries } from "../providers/entry-checks.ts";
import { checkConfig } from "./checks.ts";
import { normalizePeerForms } from "./compat.ts";
import { resolveIncludes } from "./include.ts";
import { agentModelSelection, buildModelDirectory } from "./models.ts";
import { resolvePaths } from "./paths.ts";
import { describeIssues, pathText, valueAt } from "./problems.ts";
import { repairConfigText } from "./repair.ts";
import { checkAgainstSchema, configSchema, type SwitchboardConfig } from "./schema.ts";
import { applySecurity, readSecurityFile, SECURITY_FILE } from "./security.ts";
import { knownKeysAt, nearestKey } from "./suggest.ts";

type Obj = Record<string, unknown>;

export interface ParsedConfig {
  config: SwitchboardConfig;
  /** the file's object after repairs and ${VAR} substitution, unknown keys kept */
  raw: Obj;
  warnings: string[];
}

export interface LoadedConfig extends ParsedConfig {
  /** the file that was read, or would have been */
  file: string;
  exists: boolean;
}

export interface ParseOptions {
  /** environment for ${VAR}; the `env` block adds to it. Default: process.env */
  env?: NodeJS.ProcessEnv;
  /** file name for messages */
  file?: string;
  /** a parsed `.security.yml` to lay over the file (loadConfig reads it beside the config) */
  security?: Obj;
  /** the file the text came from, to resolve `$include` paths against (loadConfig sets it) */
  includeFrom?: string;
}

const parseIncluded = (text: string, file: string): Obj => parseConfigObject(text, file).raw;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function syntaxError(err: unknown, file: string | undefined): ConfigError {
  const e = err as Error & { lineNumber?: number; columnNumber?: number };
  const where = e.lineNumber ? `line ${e.lineNumber}, column ${e.columnNumber}` : "an unknown position";
  const what = e.message.replace(/^JSON5: /, "").replace(/ at \d+:\d+$/, "");
  const hint = /end of input/.test(what)
    ? "the file ends too early: a closing } or ] or a quote is missing"
    : "look for a missing comma, quote, colon or bracket at that spot or just before it";
  return new ConfigError([{ path: "", message: `not valid JSON/JSON5 at ${where}: ${what}`, hint }], file);
}

/** Parses config text into a plain object: repair pre-pass, then JSON5. Throws ConfigError on a syntax error. */
export function parseConfigObject(text: string, file?: string): { raw: Obj; warnings: string[] } {
  const { text: repaired, repairs } = repairConfigText(text.replace(/^\uFEFF/, ""));
  if (repaired.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, "").trim() === "") {
    throw new ConfigError([{ path: "", message: "the file is empty", hint: "write {} to use the defaults, or run `switchboard onboard` to create a config" }], file);
  }
  let parsed: unknown;
  try {
    parsed = JSON5.parse(repaired);
  } catch (err) {
    throw syntaxError(err, file);
  }
  if (!isObj(parsed)) throw new ConfigError([{ path: "", message: "the config must be an object { ... }", hint: "wrap the settings in { }" }], file);
  const name = file ?? "config";
  return { raw: parsed, warnings: repairs.map((r) => `${name} line ${r.line}: ${r.message}`) };
}

/**
 * Reads a config file as written: repairs applied, no substitution, no
 * defaults; `$include`s resolved when asked (imports want the whole config,
 * `config set` wants the file itself). {} when it does not exist.
 */
export function readRawConfig(file: string, opts: { includes?: boolean } = {}): { raw: Obj; warnings: string[]; exists: boolean } {
  if (!existsSync(file)) return { raw: {}, warnings: [], exists: false };
  const parsed = parseConfigObject(readText(file), file);
  return { raw: opts.includes ? resolveIncludes(parsed.raw, file, parseIncluded) : parsed.raw, warnings: parsed.warnings, exists: true };
}

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces ${VAR} and ${VAR:-default} in every string; an unset VAR without default becomes "" with a warning. */
function substitute(node: unknown, env: NodeJS.ProcessEnv, path: (string | number)[], warnings: string[]): unknown {
  if (typeof node === "string") {
    return node.replace(VAR, (_, name: string, fallback: string | undefined) => {
      const value = env[name];
      if (value !== undefined && value !== "") return value;
      if (fallback !== undefined) return fallback;
      warnings.push(`${pathText(path) || "(root)"}: environment variable ${name} is not set; using an empty value (set ${name}, add it to the env block, or write \${${name}:-default})`);
      return "";
    });
  }
  if (Array.isArray(node)) return node.map((v, i) => substitute(v, env, [...path, i], warnings));
  if (isObj(node)) {
    const out: Obj = {};
    for (const [k, v] of Object.entries(node)) out[k] = substitute(v, env, [...path, k], warnings);
    return out;
  }
  return node;
}

/** "unknown key x.y is ignored", with the nearest known key when one is close. */
function unknownKeyWarning(path: readonly PropertyKey[], key: string): string {
  const near = nearestKey(key, knownKeysAt(configSchema, path));
  const where = pathText([...path, key]);
  return near
    ? `unknown key ${where} is ignored; did you mean ${pathText([...path, near])}?`
    : `unknown key ${where} is ignored (Switchboard has no such setting; see the configuration reference)`;
}

/** A tool feature Switchboard lacks (tools.web.provider: "auto", …) warns and falls back to the default. */
function softIssue(issue: { code: string; path: PropertyKey[] }): boolean {
  return issue.code === "invalid_value" && issue.path[0] === "tools";
}

/** Validates, turning unknown keys into warnings (dropped) and every other issue into one ConfigError. */
function validate(input: Obj, warnings: string[], file: string | undefined): SwitchboardConfig {
  const working = structuredClone(input);
  for (let round = 0; round < 20; round++) {
    const result = checkAgainstSchema(working);
    if (result.success) return result.data;
    const unknownKeys = new Map<string, string[]>();
    const unknown: { path: PropertyKey[]; keys: string[] }[] = [];
    const real = [];
    for (const issue of result.error.issues) {
      if (issue.code === "unrecognized_keys") {
        unknown.push({ path: issue.path, keys: issue.keys });
        unknownKeys.set(pathText(issue.path), issue.keys);
      } else if (softIssue(issue)) {
        const parent = valueAt(working, issue.path.slice(0, -1));
        const key = issue.path[issue.path.length - 1]!;
        const value = valueAt(working, issue.path);
        const allowed = "values" in issue ? ` (Switchboard knows ${issue.values.map((v) => JSON.stringify(v)).join(", ")})` : "";
        warnings.push(`${pathText(issue.path)} ${JSON.stringify(value)} is not supported and is ignored; the default applies${allowed}`);
        if (isObj(parent)) delete parent[String(key)];
      } else {
        real.push(issue);
      }
    }
    if (real.length > 0) throw new ConfigError(describeIssues(real, working, unknownKeys), file);
    for (const { path, keys } of unknown) {
      const node = valueAt(working, path);
      for (const key of keys) {
        warnings.push(unknownKeyWarning(path, key));
        if (isObj(node)) delete node[key];
      }
    }
  }
  throw new ConfigError([{ path: "", message: "the config could not be validated" }], file);
}

/**
 * Parses config text into a validated config. The `env` block sets the
 * variables the environment does not already have (in `opts.env`, default
 * process.env) once the config is valid. Throws ConfigError.
 */
export function parseConfigText(text: string, opts: ParseOptions = {}): ParsedConfig {
  const env = opts.env ?? process.env;
  const { raw: own, warnings } = parseConfigObject(text, opts.file);
  const written = opts.includeFrom ? resolveIncludes(own, opts.includeFrom, parseIncluded) : own;
  if (opts.security) applySecurity(written, structuredClone(opts.security), warnings);
  const parsed = normalizePeerForms(written, warnings);

  // the env block fills variables the environment lacks, and ${VAR} sees them
  const block = isObj(parsed.env) ? (substitute(parsed.env, env, ["env"], warnings) as Obj) : {};
  const added: Record<string, string> = {};
  for (const [k, v] of Object.entries(block)) {
    if (env[k] === undefined && (typeof v === "string" || typeof v === "number" || typeof v === "boolean")) added[k] = String(v);
  }
  const merged: NodeJS.ProcessEnv = { ...env, ...added };
  const raw = { ...(substitute({ ...parsed, env: undefined }, merged, [], warnings) as Obj) };
  if ("env" in parsed) raw.env = block;
  else delete raw.env;

  registerConfigSecrets(raw); // logs, errors and status never show them (core/redact.ts)
  const config = validate(raw, warnings, opts.file);
  for (const [k, v] of Object.entries(added)) env[k] = v;
  warnings.push(...checkConfig(config, merged));
  const entries = checkModelEntries(config);
  const servable = entries.errors.length ? undefined : checkChainServable(buildModelDirectory(config, merged), chainOf(agentModelSelection(config, merged)));
  if (entries.errors.length || servable) throw new ConfigError([...entries.errors, ...(servable ? [servable] : [])], opts.file);
  warnings.push(...entries.warnings);
  return { config, raw, warnings };
}

const chainOf = (s: { primary: string | undefined; fallbacks: string[] }) => [s.primary, ...s.fallbacks];

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    const hint = code === "EACCES" ? "make the file readable by the user running switchboard (chmod 600, owned by that user)" : "check that the path names a readable file";
    throw new ConfigError([{ path: "", message: `cannot read ${file}: ${code}`, hint }], file);
  }
}

/** The `.security.yml` beside a config file, if any, as parse options. */
function securityOf(file: string): Pick<ParseOptions, "security"> {
  const found = readSecurityFile(file);
  return found ? { security: found.data } : {};
}

export { SECURITY_FILE };

export interface LoadOptions {
  /** default: resolvePaths(env).configFile */
  path?: string;
  env?: NodeJS.ProcessEnv;
  /** a missing file is an error (e.g. when --config named it) instead of the embedded defaults */
  required?: boolean;
}

/** Reads and validates the config file; a missing file yields the embedded defaults (exists: false). */
export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const file = opts.path ?? resolvePaths(env).configFile;
  if (!existsSync(file)) {
    if (opts.required) {
      throw new ConfigError([{ path: "", message: `${file} does not exist`, hint: "check the --config path or SWITCHBOARD_CONFIG, or run `switchboard onboard` to create it" }], file);
    }
    return { ...parseConfigText("{}", { env }), file, exists: false };
  }
  return { ...parseConfigText(readText(file), { env, file, includeFrom: file, ...securityOf(file) }), file, exists: true };
}
