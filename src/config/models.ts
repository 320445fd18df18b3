// Every config dialect becomes one list of ModelEntry: model_list, the legacy
// providers + agents.defaults.provider form, OpenClaw's models.providers and
// the LITELLM_* environment (see model-entries.ts for how LITELLM_* surfaces).
// lookup() resolves a model_name group, an alias, or a direct vendor/model
// reference; agentModelSelection() names the agent's primary and fallbacks.
import { maskSecret, redactUrl } from "../core/redact.ts";
import { parseModelRef, vendor } from "../providers/catalogue.ts";
import type { ModelDirectory, ModelEntry } from "../providers/types.ts";
import {
  fromModelList,
  LITELLM_DEFAULT_BASE,
  LITELLM_DEFAULT_MODEL,
  litellmFromEnv,
  litellmModelFromEnv,
  openclawEntry,
  referenceEntry,
  withV1,
} from "./model-entries.ts";
import type { ModelListEntry, SwitchboardConfig } from "./schema.ts";

export { LITELLM_DEFAULT_BASE, LITELLM_DEFAULT_MODEL, withV1 };

type Env = NodeJS.ProcessEnv;

export interface Directory extends ModelDirectory {
  /** alias → full reference, from agents.defaults.models ("GPT-4" → "litellm/gpt-4") */
  readonly aliases: ReadonlyMap<string, string>;
}

/** The legacy form: agents.defaults.provider names providers.<vendor> for a bare model name. */
function legacyEntry(config: SwitchboardConfig): ModelListEntry | undefined {
  const d = config.agents.defaults;
  const name = typeof d.model === "string" ? d.model : d.model_name;
  if (!d.provider || !name || config.model_list.some((e) => e.model_name === name)) return undefined;
  const creds = config.providers[d.provider];
  const known = vendor(d.provider) !== undefined;
  const model = parseModelRef(name).vendor || !known ? name : `${d.provider}/${name}`;
  return {
    model_name: name,
    model,
    request_timeout: 120,
    enabled: true,
    api_base: creds?.api_base,
    api_key: creds?.api_key,
    proxy: creds?.proxy,
    max_tokens_field: undefined,
    api_version: undefined,
  };
}

export function buildModelDirectory(config: SwitchboardConfig, env: Env = process.env): Directory {
  const entries: ModelEntry[] = [];
  const counts = new Map<string, number>();
  const push = (name: string, make: (n: number) => ModelEntry) => {
    const n = counts.get(name) ?? 0;
    counts.set(name, n + 1);
    entries.push(make(n));
  };

  for (const e of config.model_list) push(e.model_name, (n) => fromModelList(e, n, config, env));

  const legacy = legacyEntry(config);
  if (legacy) push(legacy.model_name, (n) => ({ ...fromModelList(legacy, n, config, env), source: "providers" }));

  // OpenClaw: models.providers.<id>.models[] → groups "<id>/<model id>"; a model_list group of the same name wins
  for (const [id, p] of Object.entries(config.models.providers)) {
    for (const m of p.models ?? []) {
      const name = `${id}/${m.id}`;
      if (config.model_list.some((e) => e.model_name === name)) continue;
      push(name, (n) => ({ ...openclawEntry(id, p, m.id, env, m), id: `${name}#${n}` }));
    }
  }

  // LITELLM_* environment without a models.providers.litellm block: one entry
  if (litellmFromEnv(env) && !config.models.providers.litellm) {
    const name = `litellm/${litellmModelFromEnv(env)}`;
    if (!counts.has(name)) push(name, (n) => ({ ...openclawEntry("litellm", undefined, litellmModelFromEnv(env), env), id: `${name}#${n}`, source: "env" }));
  }

  const aliases = new Map<string, string>();
  for (const [ref, spec] of Object.entries(config.agents.defaults.models ?? {})) if (spec.alias) aliases.set(spec.alias, ref);

  // models.mode "replace" (OpenClaw): only configured models; no built-in vendor references
  const builtIns = config.models.mode !== "replace";
  const references = new Map<string, ModelEntry | undefined>();

  const lookup = (ref: string, depth = 0): ModelEntry[] => {
    const name = ref.trim();
    if (!name || depth > 4) return [];
    const group = entries.filter((e) => e.modelName === name);
    if (group.length) return group.filter((e) => e.enabled);
    const alias = aliases.get(name);
    if (alias !== undefined && alias !== name) return lookup(alias, depth + 1);
    if (!references.has(name)) {
      const head = name.slice(0, Math.max(0, name.indexOf("/")));
      const allowed = builtIns || config.models.providers[head] !== undefined;
      references.set(name, allowed ? referenceEntry(name, config, env) : undefined);
    }
    const direct = references.get(name);
    return direct ? [direct] : [];
  };

  // the agent's own references (doc 001's full example: anthropic/claude-opus-4-5 through OpenRouter)
  // are configured models too: `status` lists them and the router's context-window lookup finds them
  const selection = agentModelSelection(config, env);
  for (const ref of [selection.primary, ...selection.fallbacks]) {
    if (!ref) continue;
    lookup(ref);
    const direct = references.get(ref.trim());
    if (direct && !entries.includes(direct)) entries.push(direct);
  }

  return { aliases, all: () => [...entries], lookup: (ref: string) => lookup(ref) };
}

export interface ModelSelection {
  primary: string | undefined;
  fallbacks: string[];
}

/**
 * The agent's model: agents.defaults.model_name, else model (a string, or
 * {primary}). Fallbacks: model.fallbacks, else fallbacks, else
 * model_fallbacks; duplicates and the primary removed.
 * When no primary is named: the first enabled model_list entry (doc 000's
 * LiteLLM example has only a model_list and is used as is), else the first
 * models.providers model, else the LITELLM_* environment's model, else
 * undefined.
 */
export function agentModelSelection(config: SwitchboardConfig, env: Env = process.env): ModelSelection {
  const d = config.agents.defaults;
  const modelObj = typeof d.model === "object" ? d.model : undefined;
  const named = d.model_name ?? (typeof d.model === "string" ? d.model.trim() || undefined : undefined) ?? modelObj?.primary;
  let primary = named?.trim() || undefined;
  if (!primary) primary = config.model_list.find((e) => e.enabled)?.model_name;
  if (!primary) {
    const first = Object.entries(config.models.providers).find(([, p]) => (p.models ?? []).length > 0);
    if (first) primary = `${first[0]}/${first[1].models![0]!.id}`;
    else if (litellmFromEnv(env)) primary = `litellm/${litellmModelFromEnv(env)}`;
  }
  const fallbacks: string[] = [];
  for (const f of modelObj?.fallbacks ?? d.fallbacks ?? d.model_fallbacks ?? []) {
    const name = f.trim();
    if (name && name !== primary && !fallbacks.includes(name)) fallbacks.push(name);
  }
  return { primary, fallbacks };
}

export interface EntryDescription {
  id: string;
  modelName: string;
  model: string;
  vendor: string;
  protocol: string;
  /** the URL chat requests go to */
  endpoint: string;
  /** masked keys, in order; ["(none)"] without keys */
  keys: string[];
  /** proxy with any password masked */
  proxy?: string;
  timeoutSeconds: number;
  enabled: boolean;
  source: ModelEntry["source"];
  /** one line for `status` */
  summary: string;
}

const maskUrl = redactUrl;

/** Where chat requests for this entry go, as the protocol clients build it. */
export function chatEndpoint(e: ModelEntry): string {
  if (!e.apiBase) return "(no api_base)";
  if (e.protocol === "anthropic") return `${e.apiBase.replace(/\/v1$/, "")}/v1/messages`;
  if (e.protocol === "azure") {
    const deployments = /\/openai\/deployments\/[^/?#]+/.test(e.apiBase);
    const root = deployments ? e.apiBase : `${e.apiBase.replace(/\/openai$/, "")}/openai/deployments/${e.modelId}`;
    return `${root}/chat/completions${e.apiVersion ? `?api-version=${e.apiVersion}` : ""}`;
  }
  return `${e.apiBase}/chat/completions`;
}

/** An entry as `status` shows it: endpoint and masked keys, never a secret. */
export function describeEntry(e: ModelEntry): EntryDescription {
  const keys = e.apiKeys.length ? e.apiKeys.map((k) => maskSecret(k)) : ["(none)"];
  const endpoint = maskUrl(chatEndpoint(e));
  const proxy = e.proxy ? maskUrl(e.proxy) : undefined;
  const extras = [e.protocol, `key ${keys.join(", ")}`, `${Math.round(e.requestTimeoutMs / 1000)}s`];
  if (proxy) extras.push(`via ${proxy}`);
  if (!e.enabled) extras.push("disabled");
  return {
    id: e.id,
    modelName: e.modelName,
    model: e.model,
    vendor: e.vendor,
    protocol: e.protocol,
    endpoint,
    keys,
    ...(proxy ? { proxy } : {}),
    timeoutSeconds: e.requestTimeoutMs / 1000,
    enabled: e.enabled,
    source: e.source,
    summary: `${e.id}: ${e.model} → ${endpoint} (${extras.join(", ")})`,
  };
}
