// Building single ModelEntry values from each config dialect. models.ts
// assembles them into the directory the router uses.
//
// LiteLLM (reference docs 003 and 004) — how the LITELLM_* environment surfaces:
//   - LITELLM_BASE_URL (default http://localhost:4000, written without /v1;
//     the client appends it) is the base of every `litellm/...` model that
//     names no base of its own: model_list entries without api_base (and no
//     providers.litellm.api_base), direct `litellm/<model>` references, and
//     models.providers.litellm without baseUrl.
//   - LITELLM_API_KEY is the key of the same models when they name none
//     (it is the litellm vendor's keyEnv, and OpenClaw's default apiKey).
//   - LITELLM_MODEL (default gpt-4) is the model of the one entry the
//     environment alone creates (`litellm/<LITELLM_MODEL>`, source "env"),
//     made when LITELLM_API_KEY or LITELLM_BASE_URL is set and the config has
//     no models.providers.litellm. Doc 004's quick start ("export
//     LITELLM_API_KEY ... openclaw") then works with no config file: that
//     entry becomes the agent's primary when nothing else names one.
import { DEFAULT_VENDOR, isAzureBase, parseModelRef, vendor } from "../providers/catalogue.ts";
import { storedToken } from "../providers/credentials.ts";
import type { ModelEntry, Protocol } from "../providers/types.ts";
import type { ModelListEntry, OpenClawProvider, SwitchboardConfig } from "./schema.ts";

export const LITELLM_DEFAULT_BASE = "http://localhost:4000";
export const LITELLM_DEFAULT_MODEL = "gpt-4";
export const DEFAULT_TIMEOUT_MS = 120_000;

type Env = NodeJS.ProcessEnv;
type OpenClawModel = NonNullable<OpenClawProvider["models"]>[number];

export function trimSlash(url: string): string {
  return url.trim().replace(/\/+$/, "");
}

/** OpenClaw's baseUrl omits /v1 for OpenAI-style APIs; append it unless the path already has a version. */
export function withV1(baseUrl: string): string {
  const base = trimSlash(baseUrl);
  try {
    if (/\/v\d+(beta\d*|alpha\d*)?(\/|$)/.test(new URL(base).pathname)) return base;
  } catch {
    return base;
  }
  return `${base}/v1`;
}

function uniq(keys: (string | undefined)[]): string[] {
  const out: string[] = [];
  for (const k of keys) {
    const t = k?.trim();
    if (t && !out.includes(t)) out.push(t);
  }
  return out;
}

function nonEmpty(s: string | undefined): string | undefined {
  const t = s?.trim();
  return t ? t : undefined;
}

/**
 * The key of a vendor when the config gives none: the token stored by
 * `switchboard auth login --provider <vendor>`, else the vendor's environment
 * variable (OPENAI_API_KEY, LITELLM_API_KEY, ...).
 */
export function envKey(prefix: string, env: Env): string | undefined {
  const v = vendor(prefix);
  return storedToken(prefix, env) ?? (v?.keyEnv ? nonEmpty(env[v.keyEnv]) : undefined);
}

/** True when the environment alone asks for LiteLLM. */
export function litellmFromEnv(env: Env): boolean {
  return Boolean(nonEmpty(env.LITELLM_API_KEY) || nonEmpty(env.LITELLM_BASE_URL));
}

export function litellmModelFromEnv(env: Env): string {
  return nonEmpty(env.LITELLM_MODEL) ?? LITELLM_DEFAULT_MODEL;
}

/** A vendor's default base; for litellm, LITELLM_BASE_URL when set. */
export function vendorBase(prefix: string, env: Env): string {
  if (prefix === "litellm") return withV1(nonEmpty(env.LITELLM_BASE_URL) ?? LITELLM_DEFAULT_BASE);
  return (vendor(prefix) ?? DEFAULT_VENDOR).apiBase;
}

/** providers.<vendor>; `anthropic-messages` shares providers.anthropic (same keys, same company). */
export function credsFor(prefix: string, config: SwitchboardConfig): SwitchboardConfig["providers"][string] | undefined {
  if (!prefix) return undefined;
  return config.providers[prefix] ?? (prefix === "anthropic-messages" ? config.providers.anthropic : undefined);
}

export function fromModelList(e: ModelListEntry, n: number, config: SwitchboardConfig, env: Env): ModelEntry {
  const ref = parseModelRef(e.model);
  const v = vendor(ref.vendor) ?? DEFAULT_VENDOR;
  const creds = credsFor(ref.vendor, config);
  const apiBase = trimSlash(e.api_base ?? creds?.api_base ?? vendorBase(ref.vendor || v.prefix, env));
  const protocol: Protocol = isAzureBase(apiBase) ? "azure" : v.protocol;
  const own = uniq([e.api_key, ...(e.api_keys ?? [])]);
  const apiKeys = own.length ? own : uniq([creds?.api_key ?? (ref.vendor ? envKey(ref.vendor, env) : undefined)]);
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
    ...(e.max_tokens ? { maxTokens: e.max_tokens } : {}),
  };
}

export function openclawProtocol(api: string | undefined): Protocol {
  return api === "anthropic-messages" ? "anthropic" : "openai";
}

/** The base URL of an OpenClaw provider: baseUrl (with /v1 for OpenAI-style APIs), else the vendor's default. */
export function openclawBase(id: string, p: OpenClawProvider | undefined, env: Env, api = p?.api): string {
  if (p?.baseUrl) return openclawProtocol(api) === "anthropic" ? trimSlash(p.baseUrl) : withV1(p.baseUrl);
  if (id === "litellm") return vendorBase("litellm", env);
  return vendor(id)?.apiBase ?? "";
}

/** One model of an OpenClaw provider, as the group "<provider id>/<model id>". */
export function openclawEntry(id: string, p: OpenClawProvider | undefined, modelId: string, env: Env, facts?: OpenClawModel): ModelEntry {
  const api = facts?.api ?? p?.api;
  const key = p?.apiKey ?? envKey(id, env);
  const headers = p?.headers || facts?.headers ? { ...p?.headers, ...facts?.headers } : undefined;
  const name = `${id}/${modelId}`;
  return {
    id: `${name}#0`,
    modelName: name,
    model: name,
    vendor: vendor(id) ? id : "",
    protocol: openclawProtocol(api),
    modelId,
    apiBase: openclawBase(id, p, env, api),
    apiKeys: key ? [key] : [],
    requestTimeoutMs: DEFAULT_TIMEOUT_MS,
    enabled: true,
    source: "models.providers",
    ...(headers ? { customHeaders: headers } : {}),
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

/**
 * The vendor of a bare model name ("glm-4.7") given the vendors that have a
 * key in a `providers` block (doc 001's Zhipu example): the vendor the name
 * hints at, if it has a key, else the only vendor with a key.
 */
export function guessVendor(name: string, vendorsWithKey: readonly string[]): string | undefined {
  const known = vendorsWithKey.filter((id) => vendor(id));
  const hinted = NAME_HINTS.find(([re]) => re.test(name))?.[1];
  if (hinted && known.includes(hinted)) return hinted;
  return known.length === 1 ? known[0] : undefined;
}

function bareNameVendor(name: string, config: SwitchboardConfig): string | undefined {
  return guessVendor(name, Object.entries(config.providers).filter(([, c]) => c.api_key).map(([id]) => id));
}

function openrouterEntry(name: string, ref: string, config: SwitchboardConfig, env: Env): ModelEntry | undefined {
  const creds = config.providers.openrouter;
  const key = creds?.api_key ?? envKey("openrouter", env);
  if (!key) return undefined;
  return {
    id: `${name}#ref`,
    modelName: name,
    model: ref,
    vendor: "openrouter",
    protocol: "openai",
    // OpenRouter names models exactly as vendor/model: the full reference is sent
    modelId: ref,
    apiBase: trimSlash(creds?.api_base ?? vendorBase("openrouter", env)),
    apiKeys: [key],
    requestTimeoutMs: DEFAULT_TIMEOUT_MS,
    enabled: true,
    source: "reference",
    ...(creds?.proxy ? { proxy: creds.proxy } : {}),
  };
}

/**
 * A direct reference that no model_list group names: `vendor/model` with the
 * vendor's default base and the credentials of providers.<vendor> or its
 * environment variable; an OpenClaw `<provider>/<model>`; or a bare name with
 * a `providers` block. A vendor without credentials goes through OpenRouter
 * when an OpenRouter key exists. undefined when nothing can serve it.
 */
export function referenceEntry(name: string, config: SwitchboardConfig, env: Env): ModelEntry | undefined {
  const slash = name.indexOf("/");
  const head = slash > 0 ? name.slice(0, slash) : "";
  const oc = head ? config.models.providers[head] : undefined;
  if (oc || (head === "litellm" && litellmFromEnv(env))) {
    const facts = oc?.models?.find((m) => m.id === name.slice(slash + 1));
    return { ...openclawEntry(head, oc, name.slice(slash + 1), env, facts), id: `${name}#ref`, source: "reference" };
  }
  let ref = name;
  if (!parseModelRef(name).vendor) {
    const guess = bareNameVendor(name, config);
    if (!guess) return undefined;
    ref = `${guess}/${name}`;
  }
  const parsed = parseModelRef(ref);
  const v = vendor(parsed.vendor)!;
  if (v.unsupported) return undefined;
  const creds = credsFor(parsed.vendor, config);
  const key = creds?.api_key ?? envKey(parsed.vendor, env);
  if (v.needsKey && !key) return openrouterEntry(name, ref, config, env);
  const base = creds?.api_base ?? vendorBase(parsed.vendor, env);
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
