// Checks on a config that passed the schema: small normalizations the
// reference documents rely on (empty allow_from entries, the heartbeat's
// minimum interval) and warnings about settings that load but will not do
// what the user likely wants. Warnings name keys and model names, never
// values that may be secrets.
import { vendor } from "../providers/catalogue.ts";
import { buildModelDirectory } from "./models.ts";
import { CHANNELS, CHANNEL_IDS, missingCredentials } from "../../channels/registry.ts";
import { OPENCLAW_APIS, type SwitchboardConfig } from "./schema.ts";

export const MIN_HEARTBEAT_MINUTES = 5;
const LOCAL = /^[a-z]+:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?(\/|$)/i;

function normalize(config: SwitchboardConfig, warnings: string[]): void {
  for (const id of CHANNEL_IDS) {
    const ch = config.channels[id];
    const kept = ch.allow_from.map((e) => e.trim()).filter((e) => e !== "");
    if (kept.length !== ch.allow_from.length) {
      warnings.push(`channels.${id}.allow_from has an empty entry; it is ignored (remove it, or list the user ids allowed to talk to the bot)`);
    }
    ch.allow_from = kept;
  }
  if (config.heartbeat.interval < MIN_HEARTBEAT_MINUTES) {
    warnings.push(`heartbeat.interval ${config.heartbeat.interval} is below the minimum of ${MIN_HEARTBEAT_MINUTES} minutes; using ${MIN_HEARTBEAT_MINUTES}`);
    config.heartbeat.interval = MIN_HEARTBEAT_MINUTES;
  }
}

/** An enabled channel without its credentials (each definition names them) loads, stays off, and says so. */
function channelWarnings(config: SwitchboardConfig, warnings: string[]): void {
  for (const def of CHANNELS) {
    const block = config.channels[def.id];
    if (!block.enabled) continue;
    const missing = missingCredentials(def, block);
    if (missing.length) {
      warnings.push(`channels.${def.id} is enabled but has no ${def.credentials.join(" and ")}; it will not start (set channels.${def.id}.${missing[0]}, or set "enabled": false)`);
    }
  }
}

function modelWarnings(config: SwitchboardConfig, env: NodeJS.ProcessEnv, warnings: string[]): void {
  const d = config.agents.defaults;
  if (d.provider) {
    warnings.push("agents.defaults.provider is the old form of choosing a model; run `switchboard migrate` to rewrite it as a model_list entry");
  }
  if (d.model_fallbacks && !d.fallbacks) {
    warnings.push("agents.defaults.model_fallbacks is the old spelling; `switchboard migrate` renames it to fallbacks");
  }
  for (const [id, p] of Object.entries(config.models.providers)) {
    const apis = [p.api, ...(p.models ?? []).map((m) => m.api)].filter((a): a is string => a !== undefined);
    for (const api of new Set(apis)) {
      if (!(OPENCLAW_APIS as readonly string[]).includes(api)) {
        warnings.push(`models.providers.${id}.api "${api}" is not supported; it is treated as "openai-completions" (use one of ${OPENCLAW_APIS.join(", ")})`);
      }
    }
  }

  const directory = buildModelDirectory(config, env);
  for (const e of directory.all()) {
    const v = vendor(e.vendor);
    // a custom base may add the key itself (a reverse proxy); a local proxy may need none
    if (!e.enabled || !v?.needsKey || e.apiKeys.length || e.apiBase !== v.apiBase.replace(/\/+$/, "") || LOCAL.test(e.apiBase)) continue;
    const where = e.source === "model_list" ? `model_list entry "${e.modelName}"` : `model "${e.modelName}"`;
    warnings.push(`${where} has no API key for ${v.name}; set api_key, providers.${v.prefix}.api_key${v.keyEnv ? ` or $${v.keyEnv}` : ""}`);
  }
  const refs: [string, string | undefined][] = [
    ["agents.defaults.model_name", d.model_name],
    typeof d.model === "string" ? ["agents.defaults.model", d.model] : ["agents.defaults.model.primary", d.model?.primary],
    ["voice.model_name", config.voice.model_name],
    ["agents.defaults.imageGenerationModel.primary", d.imageGenerationModel?.primary],
  ];
  const fallbacks = (typeof d.model === "object" ? d.model.fallbacks : undefined) ?? d.fallbacks ?? d.model_fallbacks ?? [];
  for (const f of fallbacks) refs.push(["agents.defaults fallback", f]);
  const seen = new Set<string>();
  for (const [key, ref] of refs) {
    if (!ref || seen.has(ref)) continue;
    seen.add(ref);
    if (directory.lookup(ref).length > 0) continue;
    const v = vendor(ref.split("/")[0]!.toLowerCase());
    const note = key === "voice.model_name" ? " (voice transcription falls back to Groq Whisper when a Groq key is set)" : "";
    const fix = v?.keyEnv && ref.includes("/")
      ? `set providers.${v.prefix}.api_key or $${v.keyEnv} (or providers.openrouter.api_key to route it through OpenRouter)`
      : `add a model_list entry with "model_name": "${ref}", or write it as vendor/model`;
    warnings.push(`${key} "${ref}" names no configured model${note}; ${fix}`);
  }
}

/** Normalizes the config in place and returns warnings about it. */
export function checkConfig(config: SwitchboardConfig, env: NodeJS.ProcessEnv): string[] {
  const warnings: string[] = [];
  normalize(config, warnings);
  channelWarnings(config, warnings);
  modelWarnings(config, env, warnings);
  return warnings;
}
