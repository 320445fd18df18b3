// OpenClaw's `$include`: any object may name one file or a list of files
// (relative to the file that names them) whose objects are merged in order,
// with the object's own keys on top. Merging is deep for objects; lists and
// plain values replace. A missing file, a cycle or deep nesting is an error:
// the settings it should have brought cannot be guessed.
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ConfigError } from "../core/errors.ts";
import { pathText } from "./problems.ts";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const MAX_DEPTH = 10;

/** Parses one file's text into an object (repairs, JSON5); supplied by load.ts to avoid a cycle. */
export type ParseObject = (text: string, file: string) => Obj;

function deepMerge(base: unknown, top: unknown): unknown {
  if (!isObj(base) || !isObj(top)) return top;
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(top)) out[k] = k in out ? deepMerge(out[k], v) : v;
  return out;
}

function fail(path: (string | number)[], message: string, hint: string, file: string): ConfigError {
  return new ConfigError([{ path: pathText([...path, "$include"]), message, hint }], file);
}

function resolveNode(node: unknown, file: string, parse: ParseObject, chain: string[], path: (string | number)[]): unknown {
  if (Array.isArray(node)) return node.map((v, i) => resolveNode(v, file, parse, chain, [...path, i]));
  if (!isObj(node)) return node;
  const own: Obj = {};
  for (const [k, v] of Object.entries(node)) if (k !== "$include") own[k] = resolveNode(v, file, parse, chain, [...path, k]);
  if (!("$include" in node)) return own;
  const spec = node.$include;
  const names = typeof spec === "string" ? [spec] : Array.isArray(spec) && spec.every((s) => typeof s === "string") ? (spec as string[]) : undefined;
  if (!names) throw fail(path, "must be a file path or a list of file paths", 'write "$include": "./channels.json5" or ["./a.json5", "./b.json5"]', file);
  let merged: unknown = {};
  for (const name of names) {
    const target = resolve(dirname(file), name);
    if (chain.includes(target)) throw fail(path, `${name} includes itself (${[...chain, target].join(" → ")})`, "remove the $include that closes the circle", file);
    if (chain.length >= MAX_DEPTH) throw fail(path, `includes are nested more than ${MAX_DEPTH} deep`, "include the files from fewer levels", file);
    if (!existsSync(target)) throw fail(path, `${target} does not exist`, "check the path; it is relative to the file that names it", file);
    const included = resolveNode(parse(readFileSync(target, "utf8"), target), target, parse, [...chain, target], []);
    merged = deepMerge(merged, included);
  }
  return deepMerge(merged, own);
}

/** Resolves every `$include` in a parsed config read from `file`. Throws ConfigError. */
export function resolveIncludes(raw: Obj, file: string, parse: ParseObject): Obj {
  return resolveNode(raw, file, parse, [resolve(file)], []) as Obj;
}
