// Dotted key paths for `switchboard config get|set`:
// "agents.defaults.model.primary", "model_list[0].rpm" or "model_list.0.rpm",
// and bracketed keys for names with dots: agents.defaults.models["anthropic/claude-sonnet-4.6"].alias
import { ConfigError } from "../core/errors.ts";
import { parseConfigText, readRawConfig } from "./load.ts";
import { writeConfigFile } from "./migrate.ts";
import { pathText } from "./problems.ts";
import { isSecretPath } from "./schema.ts";

type Obj = Record<string, unknown>;
export type PathSegment = string | number;

function usage(path: string, message: string, hint?: string): ConfigError {
  return new ConfigError([{ path, message, ...(hint ? { hint } : {}) }]);
}

/** "model_list[0].rpm" → ["model_list", 0, "rpm"]. Throws ConfigError for an empty or malformed path. */
export function splitPath(path: string): PathSegment[] {
  const parts: PathSegment[] = [];
  const re = /\[\s*"((?:[^"\\]|\\.)*)"\s*\]|\[\s*'([^']*)'\s*\]|\[(\d+)\]|([^.[\]]+)|(\.)|(.)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path))) {
    if (m[1] !== undefined) parts.push(JSON.parse(`"${m[1]}"`) as string);
    else if (m[2] !== undefined) parts.push(m[2]);
    else if (m[3] !== undefined) parts.push(Number(m[3]));
    else if (m[4] !== undefined) parts.push(/^\d+$/.test(m[4]) ? Number(m[4]) : m[4]);
    else if (m[6] !== undefined) throw usage(path, `"${path}" is not a key path`, "write it like agents.defaults.model_name or model_list[0].rpm");
  }
  if (parts.length === 0) throw usage(path, "the key path is empty", "write it like agents.defaults.model_name or model_list[0].rpm");
  return parts;
}

function child(node: unknown, key: PathSegment): unknown {
  if (Array.isArray(node)) return typeof key === "number" ? node[key] : undefined;
  if (node !== null && typeof node === "object") return (node as Obj)[String(key)];
  return undefined;
}

/** The value at a dotted path, or undefined. */
export function getPath(root: unknown, path: string): unknown {
  let node = root;
  for (const p of splitPath(path)) node = child(node, p);
  return node;
}

/** "42" → 42, "true" → true, '["a"]' → ["a"]; text that is not JSON stays a string. */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Sets a value in a copy of `root`, creating objects and lists on the way.
 * A string `model` becomes { primary: <it> } when a key under it is set.
 * Throws ConfigError when the path runs through a plain value or skips list
 * positions.
 */
export function setValueAt(root: Obj, path: string, value: unknown): Obj {
  const out = structuredClone(root);
  const parts = splitPath(path);
  let node: Obj | unknown[] = out;
  for (let i = 0; i < parts.length; i++) {
    const key = parts[i]!;
    const last = i === parts.length - 1;
    const here = pathText(parts.slice(0, i + 1));
    if (Array.isArray(node)) {
      if (typeof key !== "number") throw usage(here, `${pathText(parts.slice(0, i)) || "(root)"} is a list`, "address its items by number, e.g. model_list[0]");
      if (key > node.length) throw usage(here, `the list has ${node.length} item(s)`, `use an index from 0 to ${node.length} (${node.length} adds an item)`);
    }
    const container = node as Obj;
    const slot = Array.isArray(node) ? key : String(key);
    if (last) {
      container[slot as string] = value;
      break;
    }
    let next = container[slot as string];
    if (typeof next === "string" && key === "model") next = { primary: next };
    if (next === undefined || next === null) next = typeof parts[i + 1] === "number" ? [] : {};
    if (typeof next !== "object") throw usage(here, `is ${JSON.stringify(typeof next)}, not an object`, `set ${here} itself, or remove it first`);
    container[slot as string] = next;
    node = next as Obj | unknown[];
  }
  return out;
}

/** `switchboard config set`: rawValue is parsed as JSON when it parses, else kept as a string. */
export function setPath(root: Obj, path: string, rawValue: string): Obj {
  return setValueAt(root, path, parseValue(rawValue));
}

/** Removes a key (or list item) in a copy of `root`; unchanged when it is not there. */
export function unsetPath(root: Obj, path: string): Obj {
  const out = structuredClone(root);
  const parts = splitPath(path);
  const parent = parts.slice(0, -1).reduce<unknown>((n, p) => child(n, p), out);
  const key = parts[parts.length - 1]!;
  if (Array.isArray(parent) && typeof key === "number") parent.splice(key, 1);
  else if (parent !== null && typeof parent === "object") delete (parent as Obj)[String(key)];
  return out;
}

function mask(value: string): string {
  return value ? `${value.slice(0, 3)}…(${value.length} chars)` : "";
}

/** Masks secrets inside a value printed by `config get`; `path` is where the value sits. */
export function maskSecrets(value: unknown, path = ""): unknown {
  const at = path ? splitPath(path) : [];
  const walk = (v: unknown, p: PathSegment[]): unknown => {
    if (typeof v === "string") return isSecretPath(p) ? mask(v) : v;
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...p, i]));
    if (v !== null && typeof v === "object") {
      const out: Obj = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, [...p, k]);
      return out;
    }
    return v;
  };
  return walk(value, at);
}

export interface SetResult {
  /** the file's new content */
  raw: Obj;
  value: unknown;
  warnings: string[];
  /** the backup of the previous file, if there was one */
  backup: string | undefined;
}

/**
 * `switchboard config set <path> <value>`: reads the file as written, sets
 * the value, validates the result like the loader does and writes it (backup
 * first). A number or literal given where the schema wants text is kept as
 * text (a numeric token). Throws ConfigError, writing nothing, when the result
 * is invalid.
 */
export function setConfigValue(opts: { file: string; path: string; value: string; env?: NodeJS.ProcessEnv }): SetResult {
  const { raw } = readRawConfig(opts.file);
  const env = opts.env ?? process.env;
  const tryWith = (value: unknown) => {
    const next = setValueAt(raw, opts.path, value);
    const { warnings } = parseConfigText(JSON.stringify(next), { env: { ...env }, file: opts.file, includeFrom: opts.file });
    return { next, value, warnings };
  };
  const parsed = parseValue(opts.value);
  let done: ReturnType<typeof tryWith>;
  try {
    done = tryWith(parsed);
  } catch (err) {
    const target = pathText(splitPath(opts.path));
    const wantsText = err instanceof ConfigError && err.problems.some((p) => p.path === target && /expected string/.test(p.message));
    if (typeof parsed === "string" || !wantsText) throw err;
    done = tryWith(opts.value);
  }
  const backup = writeConfigFile(opts.file, done.next);
  return { raw: done.next, value: done.value, warnings: done.warnings, backup };
}
