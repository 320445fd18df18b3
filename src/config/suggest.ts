// "Did you mean …" for unknown keys: the keys the schema knows at a path,
// and the nearest of them to what was written. The schema is walked through
// zod's definitions, so keys added by any section (or a channel's own
// schema) are known here without a second list.
import type { z } from "zod";

type Def = { type: string; [k: string]: unknown };
const defOf = (s: unknown): Def | undefined => (s as { _zod?: { def?: Def } } | undefined)?._zod?.def;

/** The object schemas a value at this schema may be (wrappers, pipes and unions looked through). */
function objectsOf(schema: unknown, depth = 0): Def[] {
  const d = defOf(schema);
  if (!d || depth > 20) return [];
  switch (d.type) {
    case "object":
      return [d];
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "catch":
    case "readonly":
    case "nonoptional":
      return objectsOf(d.innerType, depth + 1);
    case "pipe":
      return [...objectsOf(d.in, depth + 1), ...objectsOf(d.out, depth + 1)];
    case "union":
      return (d.options as unknown[]).flatMap((o) => objectsOf(o, depth + 1));
    case "intersection":
      return [...objectsOf(d.left, depth + 1), ...objectsOf(d.right, depth + 1)];
    case "lazy":
      return objectsOf((d.getter as () => unknown)(), depth + 1);
    default:
      return [];
  }
}

/** The schema of the value at `path` below `schema`, as candidates (unions give several). */
function schemasAt(schema: unknown, path: readonly PropertyKey[]): unknown[] {
  let current: unknown[] = [schema];
  for (const key of path) {
    const next: unknown[] = [];
    for (const s of current) {
      let d = defOf(s);
      // look through wrappers to the container
      for (let i = 0; d && i < 20; i++) {
        if (["optional", "nullable", "default", "prefault", "catch", "readonly", "nonoptional"].includes(d.type)) d = defOf(d.innerType);
        else if (d.type === "pipe") d = defOf(d.in);
        else break;
      }
      if (!d) continue;
      if (d.type === "union") {
        for (const o of d.options as unknown[]) next.push(...schemasAt(o, [key]));
        continue;
      }
      if (d.type === "object" && typeof key === "string") {
        const shape = d.shape as Record<string, unknown>;
        if (key in shape) next.push(shape[key]);
      } else if (d.type === "record") {
        next.push(d.valueType);
      } else if (d.type === "array" && typeof key === "number") {
        next.push(d.element);
      }
    }
    current = next;
  }
  return current;
}

/** Keys the schema accepts in the object at `path` (empty when it is not a fixed object). */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const keys = new Set<string>();
  for (const s of schemasAt(schema, path)) for (const o of objectsOf(s)) for (const k of Object.keys(o.shape as object)) keys.add(k);
  return [...keys];
}

/** Spellings the other gateways use for keys Switchboard names differently. */
const PEER_NAMES: Record<string, string> = {
  botToken: "token",
  allowFrom: "allow_from",
  dmScope: "dm_scope",
  baseUrl: "api_base",
  base_url: "api_base",
  apiKey: "api_key",
  model_fallbacks: "fallbacks",
};

const squash = (s: string) => s.toLowerCase().replace(/[_\-\s]/g, "");

/** Edit distance where swapping two neighbouring letters counts once (optimal string alignment). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The known key nearest to `key`, if one is close enough to be a likely slip. */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const peer = PEER_NAMES[key];
  if (peer && known.includes(peer)) return peer;
  const k = squash(key);
  const same = known.find((c) => squash(c) === k);
  if (same) return same;
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of known) {
    const d = distance(k, squash(c));
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  // one slip in a short key, two in a long one: closer than that is a different word
  const limit = k.length <= 8 ? 1 : 2;
  return bestD <= limit ? best : undefined;
}
