// Reading the config file: JSON5 (comments, trailing commas), two repairs
// for shapes the reference documents themselves contain, the `env` block,
// ${VAR} substitution, then the schema. Unknown keys become warnings; invalid
// values become one ConfigError listing every problem with its key path and
// a fix (exit 78).
import { existsSync, readFileSync } from "node:fs";
import JSON5 from "json5";
import type { z } from "zod";
import { ConfigError, type ConfigProblem } from "../core/errors.ts";
import { configSchema, SECRET_KEYS, type SwitchboardConfig } from "./shape.ts";

export interface LoadedConfig {
  config: SwitchboardConfig;
  /** the file as written (after repairs and substitution), for migrate and config set */
  raw: Record<string, unknown>;
  warnings: string[];
  file: string | undefined;
  exists: boolean;
}

/**
 * Repairs two slips the reference documents contain: numeric separators
 * (`180_000`) and a missing comma between two lines of an object. Returns the
 * text to parse and a warning per repair.
 */
export function repairText(text: string): { text: string; repairs: string[] } {
  const repairs: string[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    // only outside strings: a crude but sufficient check, separators sit after a colon
    const fixed = line.replace(/(:\s*-?)(\d{1,3}(?:_\d{3})+)(?=\s*[,}\]\n]|\s*$)/g, (_, pre: string, num: string) => pre + num.replace(/_/g, ""));
    if (fixed !== line) {
      lines[i] = fixed;
      repairs.push(`line ${i + 1}: numeric separators removed (write 180000, not 180_000)`);
    }
  }
  for (let i = 0; i < lines.length - 1; i++) {
    const cur = lines[i]!.trimEnd();
    const next = lines[i + 1]!.trimStart();
    // `"key": "value"` followed by a line starting a new `"key":` needs a comma
    if (/^\s*"?[\w$-]+"?\s*:\s*("([^"\\]|\\.)*"|-?\d[\d.eE+-]*|true|false|null)$/.test(cur) && /^"?[\w$-]+"?\s*:/.test(next)) {
      lines[i] = `${cur},`;
      repairs.push(`line ${i + 1}: missing comma added at the end of the line`);
    }
  }
  return { text: lines.join("\n"), repairs };
}

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces ${VAR} and ${VAR:-default} in every string, in place; returns warnings. */
function substitute(node: unknown, env: NodeJS.ProcessEnv, path: string, warnings: string[]): unknown {
  if (typeof node === "string") {
    return node.replace(VAR, (_, name: string, fallback: string | undefined) => {
      const value = env[name];
      if (value !== undefined && value !== "") return value;
      if (fallback !== undefined) return fallback;
      warnings.push(`${path}: environment variable ${name} is not set; using an empty value (set it, or write \${${name}:-default})`);
      return "";
    });
  }
  if (Array.isArray(node)) return node.map((v, i) => substitute(v, env, `${path}[${i}]`, warnings));
  if (node && typeof node === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = substitute(v, env, path ? `${path}.${k}` : k, warnings);
    return out;
  }
  return node;
}

export function pathText(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

function deleteAt(root: unknown, path: readonly PropertyKey[], key: string): void {
  let node = root as Record<PropertyKey, unknown> | undefined;
  for (const p of path) node = node?.[p] as Record<PropertyKey, unknown> | undefined;
  if (node && typeof node === "object") delete node[key];
}

function hintFor(issue: z.core.$ZodIssue): string | undefined {
  const last = String(issue.path[issue.path.length - 1] ?? "");
  if (issue.code === "invalid_type") {
    if (last === "request_timeout") return "give the timeout in seconds as a number, e.g. 120";
    if (last === "allow_from") return 'use a list, e.g. ["123456789", "@alice"]';
    if (issue.expected === "number") return "write a number without quotes";
    if (issue.expected === "boolean") return "write true or false without quotes";
    if (issue.expected === "array") return "use a JSON list: [ ... ]";
    if (issue.expected === "string") return "put the value in double quotes";
  }
  if (issue.code === "invalid_value" && "values" in issue) return `use one of: ${(issue.values as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
  if (issue.code === "too_small" || issue.code === "too_big") return "see the README's configuration reference for the allowed range";
  return undefined;
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): ConfigProblem {
  const path = pathText(issue.path);
  const last = String(issue.path[issue.path.length - 1] ?? "");
  let got = "";
  if (issue.code === "invalid_type" || issue.code === "invalid_value" || issue.code === "too_small" || issue.code === "too_big") {
    let node = input as Record<PropertyKey, unknown> | undefined;
    for (const p of issue.path) node = node?.[p] as Record<PropertyKey, unknown> | undefined;
    if (node !== undefined && !SECRET_KEYS.has(last)) got = `, got ${JSON.stringify(node)?.slice(0, 60)}`;
    else if (node !== undefined) got = " (value hidden: it is a secret)";
  }
  const hint = hintFor(issue);
  return { path, message: `${issue.message}${got}`, ...(hint ? { hint } : {}) };
}

/** Parses config text into a validated config. Throws ConfigError. */
export function parseConfigText(text: string, opts: { env?: NodeJS.ProcessEnv; file?: string } = {}): Omit<LoadedConfig, "file" | "exists"> {
  const env = opts.env ?? process.env;
  const warnings: string[] = [];
  let parsed: unknown;
  try {
    parsed = text.trim() === "" ? {} : JSON5.parse(text);
  } catch {
    const { text: repaired, repairs } = repairText(text);
    try {
      parsed = JSON5.parse(repaired);
      for (const r of repairs) warnings.push(`${opts.file ?? "config"} ${r}`);
    } catch (err) {
      const e = err as Error & { lineNumber?: number; columnNumber?: number };
      const where = e.lineNumber ? `line ${e.lineNumber}, column ${e.columnNumber}` : "somewhere";
      throw new ConfigError(
        [{ path: "", message: `not valid JSON/JSON5 at ${where}: ${e.message.replace(/^JSON5: /, "")}`, hint: "check for a missing comma, quote or bracket near that spot" }],
        opts.file,
      );
    }
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigError([{ path: "", message: "the config must be a JSON object { ... }" }], opts.file);
  }
  // the env block fills variables the environment does not already set
  const block = (parsed as { env?: unknown }).env;
  const merged: NodeJS.ProcessEnv = { ...env };
  if (block && typeof block === "object" && !Array.isArray(block)) {
    for (const [k, v] of Object.entries(block)) {
      if (merged[k] === undefined && (typeof v === "string" || typeof v === "number" || typeof v === "boolean")) merged[k] = String(v);
    }
  }
  const raw = substitute(parsed, merged, "", warnings) as Record<string, unknown>;
  if (raw.env && typeof raw.env === "object") {
    for (const [k, v] of Object.entries(raw.env as Record<string, unknown>)) {
      if (env[k] === undefined && typeof v === "string") env[k] = v;
    }
  }

  const working = structuredClone(raw);
  for (let round = 0; round < 10; round++) {
    const result = configSchema.safeParse(working);
    if (result.success) {
      collectSemanticWarnings(result.data, warnings);
      return { config: result.data, raw, warnings };
    }
    const unknown = result.error.issues.filter((i) => i.code === "unrecognized_keys");
    const real = result.error.issues.filter((i) => i.code !== "unrecognized_keys");
    if (real.length > 0) throw new ConfigError(real.map((i) => describeIssue(i, working)), opts.file);
    for (const issue of unknown) {
      for (const key of (issue as { keys: string[] }).keys) {
        warnings.push(`unknown key ${pathText([...issue.path, key])} ignored (check its spelling against the README's configuration reference)`);
        deleteAt(working, issue.path, key);
      }
    }
  }
  throw new ConfigError([{ path: "", message: "the config could not be read" }], opts.file);
}

function collectSemanticWarnings(config: SwitchboardConfig, warnings: string[]): void {
  for (const [id, ch] of Object.entries(config.channels)) {
    const list = (ch as { allow_from: string[] }).allow_from;
    if (list.some((e) => e.trim() === "")) {
      warnings.push(`channels.${id}.allow_from has an empty entry; it is ignored (remove it, or use "*" to allow everyone)`);
      (ch as { allow_from: string[] }).allow_from = list.filter((e) => e.trim() !== "");
    }
  }
  if (config.heartbeat.interval < 5) {
    warnings.push(`heartbeat.interval ${config.heartbeat.interval} is below the minimum of 5 minutes; using 5`);
    config.heartbeat.interval = 5;
  }
  if (config.agents.defaults.provider && config.model_list.length === 0) {
    warnings.push("agents.defaults.provider is the old form; run `switchboard migrate` to rewrite it as a model_list entry");
  }
}

/** Reads the file; a missing file yields the embedded defaults. */
export function loadConfig(opts: { path: string; env?: NodeJS.ProcessEnv }): LoadedConfig {
  if (!existsSync(opts.path)) {
    const empty = parseConfigText("{}", { ...(opts.env ? { env: opts.env } : {}) });
    return { ...empty, file: opts.path, exists: false };
  }
  let text: string;
  try {
    text = readFileSync(opts.path, "utf8");
  } catch (err) {
    throw new ConfigError([{ path: "", message: `cannot read ${opts.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, hint: "check the file's permissions" }], opts.path);
  }
  return { ...parseConfigText(text, { ...(opts.env ? { env: opts.env } : {}), file: opts.path }), file: opts.path, exists: true };
}
