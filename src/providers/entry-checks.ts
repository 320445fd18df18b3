// Load-time checks of the model entries a config declares, by the rules of
// the vendor catalogue. Errors stop the program (exit 78) because the entry
// could only ever fail or, worse, send its key to a vendor it was not written
// for; warnings name entries that load but will be skipped.
//
//  - `foo/model` where `foo` is not a known vendor and no api_base is given:
//    error. Sending it to OpenAI's default endpoint would hand the key to the
//    wrong company.
//  - an Azure entry without api_base (entry or providers.azure): error, there
//    is no default resource.
//  - a vendor Switchboard cannot call (OAuth, gRPC, AWS signing): warning; it
//    is skipped at run time and the chain continues. When the agent's model
//    chain consists of nothing else, it is an error.
import type { ConfigProblem } from "../core/errors.ts";
import { vendor, vendors } from "./catalogue.ts";
import type { ModelDirectory } from "./types.ts";

/** The parts of the config these checks read (kept structural so src/config can pass its own type). */
export interface EntryCheckInput {
  model_list: readonly { model_name: string; model: string; api_base?: string | undefined; enabled?: boolean }[];
  providers: Readonly<Record<string, { api_base?: string | undefined } | undefined>>;
  models?: { providers?: Readonly<Record<string, unknown>> };
  agents?: { defaults?: { provider?: string | undefined } };
}

export interface EntryCheckResult {
  errors: ConfigProblem[];
  warnings: string[];
}

function prefixOf(model: string): string | undefined {
  const slash = model.indexOf("/");
  return slash > 0 ? model.slice(0, slash).toLowerCase() : undefined;
}

/** A short list of known prefixes for error hints. */
function knownPrefixes(): string {
  const supported = vendors().filter((v) => !v.unsupported).map((v) => v.prefix);
  return `${supported.slice(0, 12).join("/, ")}/ … (${supported.length} in all; see the README's vendor table)`;
}

/** Is this entry's vendor one Switchboard cannot call? Returns the reason. */
export function unsupportedReason(model: string): string | undefined {
  const p = prefixOf(model);
  return p ? vendor(p)?.unsupported : undefined;
}

export function checkModelEntries(config: EntryCheckInput): EntryCheckResult {
  const errors: ConfigProblem[] = [];
  const warnings: string[] = [];
  const openclawIds = new Set(Object.keys(config.models?.providers ?? {}));
  config.model_list.forEach((e, i) => {
    const at = `model_list[${i}]`;
    const prefix = prefixOf(e.model);
    if (!prefix) return; // a bare id speaks the default OpenAI protocol, as PicoClaw does
    const v = vendor(prefix);
    const base = e.api_base ?? (v ? config.providers[v.prefix]?.api_base : undefined);
    if (v?.unsupported) {
      warnings.push(`${at} (${e.model_name}): ${v.unsupported}; this entry is skipped`);
      return;
    }
    if (!v) {
      if (base || openclawIds.has(prefix)) return; // the prefix is part of the model id at a named endpoint
      errors.push({
        path: `${at}.model`,
        message: `"${prefix}" in "${e.model}" (${e.model_name}) is not a vendor Switchboard knows, and the entry has no api_base, so there is nowhere safe to send its key`,
        hint: `set ${at}.api_base to the endpoint that serves "${e.model}", or use a known prefix: ${knownPrefixes()}`,
      });
      return;
    }
    if (v.protocol === "azure" && !base) {
      errors.push({
        path: `${at}.api_base`,
        message: `${e.model_name} is an Azure OpenAI entry without api_base; Azure has no default endpoint`,
        hint: `set ${at}.api_base to your resource, e.g. https://<resource>.openai.azure.com (or providers.azure.api_base)`,
      });
    }
  });
  // the old form: agents.defaults.provider names providers.<vendor> for a bare model name
  const legacy = config.agents?.defaults?.provider?.trim().toLowerCase();
  if (legacy && !vendor(legacy) && !config.providers[legacy]?.api_base) {
    errors.push({
      path: "agents.defaults.provider",
      message: `"${legacy}" is not a vendor Switchboard knows, and providers.${legacy} has no api_base, so its key has nowhere safe to go`,
      hint: `set providers.${legacy}.api_base to its endpoint, or use a known vendor: ${knownPrefixes()}`,
    });
  }
  return { errors, warnings };
}

/**
 * The agent's chain must leave something callable: when every entry the
 * primary and fallbacks resolve to belongs to an unsupported vendor, nothing
 * can answer and the config is refused.
 */
export function checkChainServable(directory: ModelDirectory, chain: readonly (string | undefined)[]): ConfigProblem | undefined {
  const refs = chain.filter((r): r is string => Boolean(r?.trim()));
  const entries = refs.flatMap((r) => directory.lookup(r));
  if (entries.length === 0) return undefined; // "names no configured model" is reported elsewhere
  if (entries.some((e) => !unsupportedReason(e.model))) return undefined;
  const why = unsupportedReason(entries[0]!.model)!;
  return {
    path: "agents.defaults.model",
    message: `every model the agent may use (${refs.join(", ")}) belongs to a vendor Switchboard cannot call: ${why}`,
    hint: "add a model_list entry for a supported vendor and make it the primary or a fallback",
  };
}
