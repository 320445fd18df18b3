// Dotted key paths for `switchboard config get|set`:
// "agents.defaults.model.primary", "model_list[0].rpm" or "model_list.0.rpm".
import { SECRET_KEYS } from "./shape.ts";

type Obj = Record<string, unknown>;

export function splitPath(path: string): (string | number)[] {
  const parts: (string | number)[] = [];
  for (const seg of path.split(".")) {
    const re = /([^[\]]+)|\[(\d+)\]/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(seg))) parts.push(m[2] !== undefined ? Number(m[2]) : /^\d+$/.test(m[1]!) ? Number(m[1]) : m[1]!);
  }
  if (parts.length === 0) throw new Error(`"${path}" is not a key path (use e.g. agents.defaults.model_name)`);
  return parts;
}

export function getPath(root: unknown, path: string): unknown {
  let node = root;
  for (const p of splitPath(path)) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Obj)[p as string];
  }
  return node;
}

/** "42" → 42, "true" → true, '["a"]' → ["a"]; anything else stays a string. */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Sets a value in a copy of `root`, creating objects and lists on the way. */
export function setPath(root: Obj, path: string, value: unknown): Obj {
  const out = structuredClone(root);
  const parts = splitPath(path);
  let node: Obj = out;
  for (let i = 0; i < parts.length - 1; i++) {
    const key = parts[i]!;
    let next = node[key as string];
    // a string `model` turns into { primary } when a sub-key is set
    if (typeof next === "string" && key === "model" && parts[i + 1] === "primary") next = { primary: next };
    if (next === null || typeof next !== "object") next = typeof parts[i + 1] === "number" ? [] : {};
    node[key as string] = next;
    node = next as Obj;
  }
  node[parts[parts.length - 1] as string] = value;
  return out;
}

/** Masks secrets inside a value printed by `config get`. */
export function maskSecrets(value: unknown, key = ""): unknown {
  if (SECRET_KEYS.has(key)) {
    if (typeof value === "string") return value ? `${value.slice(0, 3)}…(${value.length} chars)` : "";
    if (Array.isArray(value)) return value.map((v) => maskSecrets(v, key));
  }
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v));
  if (value && typeof value === "object") {
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskSecrets(v, k);
    return out;
  }
  return value;
}
