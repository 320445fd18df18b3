// Every config dialect becomes one list of ModelEntry: model_list, the legacy
// providers + agents.defaults.provider form, OpenClaw's models.providers and
// the LITELLM_* environment. lookup() resolves a model_name group, an alias,
// or a direct vendor/model reference.
import { DEFAULT_VENDOR, isAzureBase, parseModelRef, vendor } from "../providers/catalogue.ts";
import type { ModelDirectory, ModelEntry, Protocol } from "../providers/types.ts";
import type { ModelListEntry, SwitchboardConfig } from "./shape.ts";

export const LITELLM_DEFAULT_BASE = "http://localhost:4000";
export const LITELLM_DEFAULT_MODEL = "gpt-4";
const DEFAULT_TIMEOUT_MS = 120_000;

export interface Directory extends ModelDirectory {
  /** alias → full reference (agents.defaults.models) */
  aliases: Map<string, string>;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

/** OpenClaw's baseUrl omits /v1 for OpenAI-style APIs; the client appends it. */
export function withV1(baseUrl: string): string {
  const base = trimSlash(baseUrl);
  try {
    const u = new URL(base);
    if (/\/v\d+(beta)?(\/|$)/.test(u.pathname)) return base;
  } catch {
    return base;
  }
  return `${base}/v1`;
}

function uniq(keys: (string | undefined)[]): string[] {
  const out: string[] = [];
  for (const k of keys) if (k && k.trim() && !out.includes(k.trim())) out.push(k.trim());
  return out;
}

function envKey(vendorPrefix: string, env: NodeJS.ProcessEnv): string | undefined {
  const v = vendor(vendorPrefix);
  return v?.keyEnv ? env[v.keyEnv]?.trim() || undefined : undefined;
}

function fromModelList(e: ModelListEntry, n: number, config: SwitchboardConfig, env: NodeJS.ProcessEnv): ModelEntry {
  const ref = parseModelRef(e.model);
  const v = vendor(ref.vendor) ?? DEFAULT_VENDOR;
  const creds = ref.vendor ? config.providers[ref.vendor] : undefined;
  const apiBase = trimSlash(e.api_base ?? creds?.api_base ?? v.apiBase);
  const protocol: Protocol = isAzureBase(apiBase) ? "azure" : v.protocol;
  const keys = uniq([e.api_key, ...(e.api_keys ?? [])]);
  const apiKeys = keys.length ? keys : uniq([creds?.api_key, ref.vendor ? envKey(ref.vendor, env) : undefined]);
  const proxy = e.proxy ?? creds?.proxy;
  return {
    id: `${e.model_name}#${n}`,
    modelName: e.model_name,
    model: e.model,
    vendor: ref.vendor,
    protocol,
    modelId: ref.modelId,
    apiBase,
    apiKeys,
    requestTimeoutMs: Math.round(e.request_timeout * 1000),
    enabled: e.enabled,
    source: "model_list",
    ...(proxy ? { proxy } : {}),
    ...(e.rpm !== undefined ? { rpm: e.rpm } : {}),
    ...(e.extra_body ? { extraBody: e.extra_body } : {}),
    ...(e.custom_headers ? { customHeaders: e.custom_headers } : {}),
    ...(e.max_tokens_field ? { maxTokensField: e.max_tokens_field } : {}),
    ...(e.api_version ? { apiVersion: e.api_version } : {}),
    ...(e.context_window ? { contextWindow: e.context_window } : {}),
  };
}

type OpenClawProvider = SwitchboardConfig["models"]["providers"][string];

function openclawProtocol(api: string | undefined): Protocol {
  return api === "anthropic-messages" ? "anthropic" : "openai";
}

function openclawBase(id: string, p: OpenClawProvider | undefined, env: NodeJS.ProcessEnv): string {
  const protocol = openclawProtocol(p?.api);
  const configured = p?.baseUrl?.trim() || (id === "litellm" ? env.LITELLM_BASE_URL?.trim() || LITELLM_DEFAULT_BASE : "") || vendor(id)?.apiBase || "";
  if (!configured) return "";
  return protocol === "anthropic" ? trimSlash(configured) : withV1(configured);
}

function openclawEntry(id: string, p: OpenClawProvider | undefined, modelId: string, env: NodeJS.ProcessEnv, facts?: NonNullable<OpenClawProvider["models"]>[number]): ModelEntry {
  const key = p?.apiKey?.trim() || (id === "litellm" ? env.LITELLM_API_KEY?.trim() : undefined) || envKey(id, env);
  return {
    id: `${id}/${modelId}#0`,
    modelName: `${id}/${modelId}`,
    model: `${id}/${modelId}`,
    vendor: id,
    protocol: openclawProtocol(p?.api),
    modelId,
    apiBase: openclawBase(id, p, env),
    apiKeys: key ? [key] : [],
    requestTimeoutMs: DEFAULT_TIMEOUT_MS,
    enabled: true,
    source: "models.providers",
    ...(p?.headers ? { customHeaders: p.headers } : {}),
    ...(facts?.contextWindow ? { contextWindow: facts.contextWindow } : {}),
    ...(facts?.maxTokens ? { maxTokens: facts.maxTokens } : {}),
    ...(facts?.input ? { input: facts.input } : {}),
    ...(facts?.reasoning !== undefined ? { reasoning: facts.reasoning } : {}),
  };
}

/** Vendors a bare model name points at, PicoClaw-style ("glm-4.7" is Zhipu's). */
const NAME_HINTS: [RegExp, string][] = [
  [/^glm-/i, "zhipu"],
  [/^(gpt-|o\d|chatgpt)/i, "openai"],
  [/^claude-/i, "anthropic"],
  [/^deepseek/i, "deepseek"],
  [/^gemini/i, "gemini"],
  [/^(kimi|moonshot)/i, "moonshot"],
  [/^qwen/i, "qwen"],
  [/^(doubao|ep-)/i, "volcengine"],
  [/^(mistral|codestral|magistral)/i, "mistral"],
];

/** A bare model name ("glm-4.7") with a `providers` block: the hinted vendor, or the only configured one. */
function bareNameVendor(name: string, config: SwitchboardConfig): string | undefined {
  const withKey = Object.entries(config.providers).filter(([id, c]) => c.api_key?.trim() && vendor(id));
  const hinted = NAME_HINTS.find(([re]) => re.test(name))?.[1];
  if (hinted && withKey.some(([id]) => id === hinted)) return hinted;
  return withKey.length === 1 ? withKey[0]![0] : undefined;
}

/** A direct `vendor/model` reference, built from the vendor's defaults and credentials. */
function referenceEntry(name: string, config: SwitchboardConfig, env: NodeJS.ProcessEnv): ModelEntry | undefined {
  let ref = name;
  if (!parseModelRef(name).vendor && !config.models.providers[name.slice(0, Math.max(0, name.indexOf("/")))]) {
    const guess = bareNameVendor(name, config);
    if (!guess) return undefined;
    ref = `${guess}/${name}`;
  }
  const parsed = parseModelRef(ref);
  const ocProvider = config.models.providers[ref.slice(0, Math.max(0, ref.indexOf("/")))];
  if (ocProvider || (ref.startsWith("litellm/") && env.LITELLM_API_KEY)) {
    const id = ref.slice(0, ref.indexOf("/"));
    return { ...openclawEntry(id, ocProvider, ref.slice(id.length + 1), env), id: `${name}#ref`, modelName: name, source: "reference" };
  }
  if (!parsed.vendor) return undefined;
  const v = vendor(parsed.vendor)!;
  if (v.unsupported) return undefined;
  const creds = config.providers[parsed.vendor];
  const key = creds?.api_key?.trim() || envKey(parsed.vendor, env);
  const base = creds?.api_base ?? v.apiBase;
  if (v.needsKey && !key) {
    // no credentials for that vendor: OpenRouter serves vendor/model references as they are
    const or = config.providers.openrouter?.api_key?.trim() || envKey("openrouter", env);
    if (!or) return undefined;
    const orVendor = vendor("openrouter")!;
    return {
      id: `${ref}#ref`,
      modelName: ref,
      model: ref,
      vendor: "openrouter",
      protocol: "openai",
      modelId: ref,
      apiBase: trimSlash(config.providers.openrouter?.api_base ?? orVendor.apiBase),
      apiKeys: [or],
      requestTimeoutMs: DEFAULT_TIMEOUT_MS,
      enabled: true,
      source: "reference",
      ...(config.providers.openrouter?.proxy ? { proxy: config.providers.openrouter.proxy } : {}),
    };
  }
  if (!base) return undefined;
  return {
    id: `${name}#ref`,
    modelName: name,
    model: ref,
    vendor: parsed.vendor,
    protocol: isAzureBase(base) ? "azure" : v.protocol,
    modelId: parsed.modelId,
    apiBase: trimSlash(base),
    apiKeys: key ? [key] : [],
    requestTimeoutMs: DEFAULT_TIMEOUT_MS,
    enabled: true,
    source: "reference",
    ...(creds?.proxy ? { proxy: creds.proxy } : {}),
  };
}

export function buildModelDirectory(config: SwitchboardConfig, env: NodeJS.ProcessEnv = process.env): Directory {
  const entries: ModelEntry[] = [];
  const counts = new Map<string, number>();
  const push = (make: (n: number) => ModelEntry, name: string) => {
    const n = counts.get(name) ?? 0;
    counts.set(name, n + 1);
    entries.push(make(n));
  };
  for (const e of config.model_list) push((n) => fromModelList(e, n, config, env), e.model_name);

  // legacy: agents.defaults.provider + a bare model name
  const d = config.agents.defaults;
  const legacyModel = typeof d.model === "string" ? d.model : undefined;
  if (d.provider && legacyModel && !config.model_list.some((e) => e.model_name === legacyModel)) {
    const creds = config.providers[d.provider];
    const ref = legacyModel.includes("/") && parseModelRef(legacyModel).vendor ? legacyModel : `${d.provider}/${legacyModel}`;
    const synthetic: ModelListEntry = {
      model_name: legacyModel,
      model: ref,
      request_timeout: 120,
      enabled: true,
      ...(creds?.api_base ? { api_base: creds.api_base } : {}),
      ...(creds?.api_key ? { api_key: creds.api_key } : {}),
      ...(creds?.proxy ? { proxy: creds.proxy } : {}),
    };
    push((n) => ({ ...fromModelList(synthetic, n, config, env), source: "providers" }), legacyModel);
  }

  // OpenClaw: models.providers.<id>.models[] → "<id>/<model id>"
  for (const [id, p] of Object.entries(config.models.providers)) {
    for (const m of p.models ?? []) {
      const name = `${id}/${m.id}`;
      if (counts.has(name)) continue;
      push((n) => ({ ...openclawEntry(id, p, m.id, env, m), id: `${name}#${n}` }), name);
    }
  }

  // LITELLM_* environment with nothing else configured: one litellm entry
  if (env.LITELLM_API_KEY?.trim() && !config.models.providers.litellm) {
    const model = env.LITELLM_MODEL?.trim() || LITELLM_DEFAULT_MODEL;
    const name = `litellm/${model}`;
    if (!counts.has(name)) push((n) => ({ ...openclawEntry("litellm", undefined, model, env), id: `${name}#${n}`, source: "env" }), name);
  }

  const aliases = new Map<string, string>();
  for (const [ref, spec] of Object.entries(d.models ?? {})) if (spec.alias) aliases.set(spec.alias, ref);

  const byName = (name: string) => entries.filter((e) => e.modelName === name && e.enabled);
  return {
    aliases,
    all: () => entries,
    lookup(ref: string): ModelEntry[] {
      const name = ref.trim();
      if (!name) return [];
      const group = byName(name);
      if (group.length) return group;
      const alias = aliases.get(name);
      if (alias) return this.lookup(alias);
      const direct = referenceEntry(name, config, env);
      return direct ? [direct] : [];
    },
  };
}

export interface ModelSelection {
  primary: string | undefined;
  fallbacks: string[];
}

/** The agent's model: model_name, or model (string or {primary}); fallbacks from any of the three spellings. */
export function agentModelSelection(config: SwitchboardConfig, env: NodeJS.ProcessEnv = process.env): ModelSelection {
  const d = config.agents.defaults;
  const modelObj = typeof d.model === "object" ? d.model : undefined;
  let primary = d.model_name?.trim() || (typeof d.model === "string" ? d.model.trim() : undefined) || modelObj?.primary?.trim() || undefined;
  if (!primary && config.model_list.length > 0) primary = config.model_list[0]!.model_name;
  if (!primary) {
    const firstOc = Object.entries(config.models.providers).find(([, p]) => (p.models ?? []).length > 0);
    if (firstOc) primary = `${firstOc[0]}/${firstOc[1].models![0]!.id}`;
    else if (env.LITELLM_API_KEY?.trim()) primary = `litellm/${env.LITELLM_MODEL?.trim() || LITELLM_DEFAULT_MODEL}`;
  }
  const raw = modelObj?.fallbacks ?? d.fallbacks ?? d.model_fallbacks ?? [];
  const fallbacks: string[] = [];
  for (const f of raw) {
    const name = f.trim();
    if (name && name !== primary && !fallbacks.includes(name)) fallbacks.push(name);
  }
  return { primary, fallbacks };
}
