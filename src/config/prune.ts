// What an import leaves out: every key the schema does not know is removed
// from the result and reported with a reason, so `migrate` writes a file
// that loads without unknown-key warnings and the user learns what did not
// come along. Values stay as written (${VAR} included); only keys go.
import { CHANNEL_IDS, checkAgainstSchema } from "./schema.ts";
import { pathText, valueAt } from "./problems.ts";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

/** Why a well-known peer setting does not come along; matched against the dropped key's path. */
const REASONS: [RegExp, string][] = [
  [/^auth(\.|$)/, "OAuth sign-in profiles are not supported; put API keys in providers.<vendor>.api_key or the env block"],
  [/^channels\.[^.]+$/, `Switchboard has no such channel (it has ${CHANNEL_IDS.join(", ")})`],
  [/\.reasoning_channel_id$/, "Switchboard does not post reasoning to a separate chat"],
  [/^model_list\[\d+\]\.auth_method$/, "OAuth sign-in is not supported; give the entry an api_key"],
  [/^(cron|tools\.cron\.enabled)(\.|$)/, "scheduled jobs are managed with `switchboard cron`"],
  [/^identity(\.|$)/, "the bot's name and persona come from the workspace prompt files"],
  [/^tools\.web\.provider$/, "that search provider is not available; Switchboard picks the first configured backend"],
  [/^heartbeat\./, "only enabled, interval and active_hours carry over"],
];

/** Why the setting at `path` does not come along. */
export function reasonFor(path: string): string {
  for (const [re, why] of REASONS) if (re.test(path)) return why;
  return "Switchboard has no such setting";
}

/**
 * Removes unknown keys (and tool options with values Switchboard lacks) from
 * a copy of `raw`. Returns the copy and one "path: reason" line per removal.
 * Invalid values of known keys are left for the loader to report.
 */
export function pruneToSchema(raw: Obj): { raw: Obj; dropped: string[] } {
  const working = structuredClone(raw);
  const dropped: string[] = [];
  for (let round = 0; round < 20; round++) {
    const result = checkAgainstSchema(working);
    if (result.success) break;
    let removed = 0;
    for (const issue of result.error.issues) {
      if (issue.code === "unrecognized_keys") {
        const node = valueAt(working, issue.path);
        for (const key of issue.keys) {
          if (!isObj(node)) continue;
          delete node[key];
          const at = pathText([...issue.path, key]);
          dropped.push(`${at}: ${reasonFor(at)}`);
          removed++;
        }
      } else if (issue.code === "invalid_value" && issue.path[0] === "tools") {
        const parent = valueAt(working, issue.path.slice(0, -1));
        if (!isObj(parent)) continue;
        delete parent[String(issue.path[issue.path.length - 1])];
        const at = pathText(issue.path);
        dropped.push(`${at}: ${reasonFor(at)}`);
        removed++;
      }
    }
    if (removed === 0) break;
  }
  return { raw: working, dropped };
}
