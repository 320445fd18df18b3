// Forms other gateways write, read before the schema sees the file:
//   - documentation keys (`_comment` of any type at any depth, `$schema`)
//     and PicoClaw's format marker `version` vanish without a word;
//   - OpenClaw's top-level `agent` (model, workspace) fills agents.defaults;
//   - PicoClaw v3's `channel_list` (type + settings) becomes channels.<type>;
//   - OpenClaw's env.vars joins the env block, env.shellEnv warns;
//   - search backends written with `api_keys` keep their first key;
//   - model_list entries written as { provider, model } get the prefix.
// Everything here warns at most; nothing stops the program. The input is
// changed in place (load.ts hands in its own copy).

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

/** Containers whose content is sent to a vendor as written: a `_comment` there is payload, not documentation. */
const PAYLOAD = new Set(["extra_body", "custom_headers", "headers", "params"]);

/** Removes `_comment` and `$schema` everywhere outside payloads. */
export function stripDocKeys(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripDocKeys);
  if (!isObj(node)) return node;
  const out: Obj = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "_comment" || k === "$schema") continue;
    out[k] = PAYLOAD.has(k) ? v : stripDocKeys(v);
  }
  return out;
}

function child(parent: Obj, key: string): Obj {
  if (!isObj(parent[key])) parent[key] = {};
  return parent[key] as Obj;
}

/** OpenClaw's legacy `agent` block: model and workspace are honoured, the rest warns. */
function legacyAgent(raw: Obj, warnings: string[]): void {
  if (!("agent" in raw)) return;
  const agent = raw.agent;
  delete raw.agent;
  if (!isObj(agent)) {
    warnings.push("agent: must be an object; ignored (write agents.defaults instead)");
    return;
  }
  const defaults = child(child(raw, "agents"), "defaults");
  for (const [k, v] of Object.entries(agent)) {
    if ((k === "model" || k === "workspace") && defaults[k] === undefined) defaults[k] = v;
    else if (k === "model" || k === "workspace") warnings.push(`agent.${k}: ignored because agents.defaults.${k} is set`);
    else warnings.push(`agent.${k}: not supported by Switchboard; ignored`);
  }
}

/**
 * PicoClaw v3: channel_list.<name> = { type, enabled, allow_from, group_trigger, settings: {...} }.
 * Each entry becomes channels.<type> with its settings flattened in; keys
 * Switchboard lacks then warn under channels.<type> like any other.
 */
export function channelListToChannels(raw: Obj, warnings: string[]): void {
  if (!("channel_list" in raw)) return;
  const list = raw.channel_list;
  delete raw.channel_list;
  if (!isObj(list)) {
    warnings.push("channel_list: must be an object of channels; ignored");
    return;
  }
  const channels = child(raw, "channels");
  const taken = new Set<string>();
  for (const [name, entry] of Object.entries(list)) {
    if (!isObj(entry)) {
      warnings.push(`channel_list.${name}: not an object; ignored`);
      continue;
    }
    const type = typeof entry.type === "string" && entry.type.trim() ? entry.type.trim() : name;
    if (taken.has(type)) {
      warnings.push(`channel_list.${name}: a second ${type} account is not supported; only the first is used`);
      continue;
    }
    taken.add(type);
    const { type: _type, settings, ...rest } = entry;
    const merged: Obj = { ...(isObj(settings) ? settings : {}), ...rest };
    // keys already under channels.<type> win: they are the more specific statement
    channels[type] = { ...merged, ...(isObj(channels[type]) ? (channels[type] as Obj) : {}) };
  }
}

/** OpenClaw's env.vars and env.shellEnv. */
function envBlock(raw: Obj, warnings: string[]): void {
  if (!isObj(raw.env)) return;
  const env = raw.env;
  if ("shellEnv" in env) {
    delete env.shellEnv;
    warnings.push("env.shellEnv: importing variables from a login shell is not supported; ignored (export them in the environment Switchboard runs in, or list them in env)");
  }
  if ("vars" in env) {
    const vars = env.vars;
    delete env.vars;
    if (isObj(vars)) {
      for (const [k, v] of Object.entries(vars)) if (env[k] === undefined) env[k] = v;
    } else {
      warnings.push("env.vars: must be an object of NAME: value; ignored");
    }
  }
}

/** tools.web.<backend>.api_keys (PicoClaw): Switchboard's backends take one api_key. */
function searchKeys(raw: Obj, warnings: string[]): void {
  const web = isObj(raw.tools) && isObj(raw.tools.web) ? raw.tools.web : undefined;
  if (!web) return;
  for (const [name, backend] of Object.entries(web)) {
    if (!isObj(backend) || !("api_keys" in backend)) continue;
    const keys = Array.isArray(backend.api_keys) ? backend.api_keys.filter((k): k is string => typeof k === "string" && k.trim() !== "") : [];
    delete backend.api_keys;
    const hasKey = typeof backend.api_key === "string" && backend.api_key.trim() !== "";
    if (!hasKey && keys.length) backend.api_key = keys[0];
    if (keys.length > (hasKey ? 0 : 1)) warnings.push(`tools.web.${name}.api_keys: one key per search backend is used; the others are ignored`);
  }
}

/**
 * PicoClaw's docs also write model_list entries as { provider, model } with a
 * bare model id; the vendor becomes the model's prefix, so the entry's key
 * goes to the vendor it was written for.
 */
function modelProviderField(raw: Obj): void {
  if (!Array.isArray(raw.model_list)) return;
  for (const e of raw.model_list) {
    if (!isObj(e) || typeof e.provider !== "string" || !e.provider.trim()) continue;
    const prefix = e.provider.trim().toLowerCase();
    if (typeof e.model === "string" && !e.model.toLowerCase().startsWith(`${prefix}/`)) e.model = `${prefix}/${e.model}`;
    delete e.provider;
  }
}

/** Rewrites the peer forms above in place and returns the object. */
export function normalizePeerForms(input: Obj, warnings: string[]): Obj {
  const raw = stripDocKeys(input) as Obj;
  if (typeof raw.version === "number") delete raw.version;
  legacyAgent(raw, warnings);
  modelProviderField(raw);
  channelListToChannels(raw, warnings);
  envBlock(raw, warnings);
  searchKeys(raw, warnings);
  return raw;
}
