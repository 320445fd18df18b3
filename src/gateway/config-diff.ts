// What a reload changed, as key paths (never values: they may be secrets),
// and which of those changes cannot apply while the process runs.

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Key order does not matter: JSON with sorted keys. */
export function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) => (isObj(val) ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => a.localeCompare(b))) : val));
}

/** Dotted key paths whose values differ, e.g. ["agents.defaults.model_name", "model_list[1].api_base"]. */
export function changedPaths(before: unknown, after: unknown, maxDepth = 5): string[] {
  const out: string[] = [];
  walk(before, after, "", 0, maxDepth, out);
  return out.sort();
}

function walk(a: unknown, b: unknown, path: string, depth: number, maxDepth: number, out: string[]): void {
  if (stableJson(a) === stableJson(b)) return;
  if (depth < maxDepth && isObj(a) && isObj(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[key], b[key], path ? `${path}.${key}` : key, depth + 1, maxDepth, out);
    return;
  }
  if (depth < maxDepth && Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.some(isObj)) {
    a.forEach((item, i) => walk(item, b[i], `${path}[${i}]`, depth + 1, maxDepth, out));
    return;
  }
  out.push(path || "(root)");
}

/**
 * Settings the running process cannot take over: the HTTP listener is bound
 * (host, port). Where state lives (SWITCHBOARD_HOME, the database) comes from
 * the environment, which a reload does not re-read. A new config key that is
 * restart-only goes here.
 */
const RESTART_ONLY: readonly string[] = ["gateway.host", "gateway.port"];

export function restartOnly(changed: readonly string[]): string[] {
  return changed.filter((p) => RESTART_ONLY.some((r) => p === r || p.startsWith(`${r}.`) || p.startsWith(`${r}[`)));
}

/** Lists a few paths and counts the rest, for a log line or a short answer. */
export function summarize(paths: readonly string[], max = 12): string {
  if (paths.length <= max) return paths.join(", ");
  return `${paths.slice(0, max).join(", ")} and ${paths.length - max} more`;
}
