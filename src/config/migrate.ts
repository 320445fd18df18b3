// Rewriting configs: older Switchboard/PicoClaw forms to the current one
// (`switchboard migrate`), and imports of another gateway's file
// (`switchboard migrate --from picoclaw|openclaw`). The functions work on the
// raw JSON object, never change their input, and return a new object plus a
// line per change. writeConfigFile saves a result safely.
import { randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { vendor } from "../providers/catalogue.ts";
import { guessVendor, LITELLM_DEFAULT_BASE, withV1 } from "./model-entries.ts";

type Obj = Record<string, unknown>;

export interface Rewrite {
  raw: Obj;
  changes: string[];
}

const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});

function defaultsOf(raw: Obj): Obj {
  const agents = isObj(raw.agents) ? raw.agents : (raw.agents = {});
  return isObj(agents.defaults) ? agents.defaults : (agents.defaults = {});
}

/** The vendor of a bare name given a raw providers block (see guessVendor). */
function vendorFor(name: string, providers: Obj): string | undefined {
  const withKey = Object.keys(providers).filter((id) => typeof obj(providers[id]).api_key === "string" && obj(providers[id]).api_key);
  return guessVendor(name, withKey);
}

function entryFrom(name: string, prefix: string, creds: Obj): Obj {
  const known = vendor(prefix) !== undefined;
  const hasPrefix = name.includes("/") && vendor(name.slice(0, name.indexOf("/")).toLowerCase()) !== undefined;
  return {
    model_name: name,
    model: hasPrefix || !known ? name : `${prefix}/${name}`,
    ...(typeof creds.api_key === "string" && creds.api_key ? { api_key: creds.api_key } : {}),
    ...(typeof creds.api_base === "string" && creds.api_base ? { api_base: creds.api_base } : {}),
    ...(typeof creds.proxy === "string" && creds.proxy ? { proxy: creds.proxy } : {}),
  };
}

/**
 * The current form: a model_list entry instead of agents.defaults.provider +
 * model (or a bare model name resolved through `providers`), and
 * `fallbacks` instead of model_fallbacks. A string `model` is current (doc
 * 002 writes it) and stays.
 * The providers block stays: it still supplies keys and proxies.
 */
export function migrateConfig(input: Obj): Rewrite {
  const raw = structuredClone(input);
  const changes: string[] = [];
  const d = defaultsOf(raw);
  const providers = obj(raw.providers);
  const list = Array.isArray(raw.model_list) ? (raw.model_list as Obj[]) : [];
  const named = (n: string) => list.some((e) => isObj(e) && e.model_name === n);

  if (typeof d.provider === "string") {
    const name = typeof d.model === "string" ? d.model : typeof d.model_name === "string" ? d.model_name : undefined;
    if (name) {
      if (!named(name)) {
        list.push(entryFrom(name, d.provider, obj(providers[d.provider])));
        changes.push(`agents.defaults.provider "${d.provider}" + model "${name}" became model_list entry "${name}"`);
      }
      if (typeof d.model === "string") delete d.model;
      d.model_name = name;
      changes.push(`agents.defaults.model_name set to "${name}"`);
    }
    delete d.provider;
    changes.push("agents.defaults.provider removed");
  } else {
    const name = typeof d.model_name === "string" ? d.model_name : typeof d.model === "string" ? d.model : undefined;
    const prefix = name && !name.includes("/") && !named(name) ? vendorFor(name, providers) : undefined;
    if (name && prefix) {
      list.push(entryFrom(name, prefix, obj(providers[prefix])));
      changes.push(`model "${name}" (served by providers.${prefix}) became model_list entry "${name}"`);
    }
  }
  if (Array.isArray(d.model_fallbacks)) {
    if (d.fallbacks === undefined) {
      d.fallbacks = d.model_fallbacks;
      changes.push("agents.defaults.model_fallbacks renamed to fallbacks");
    } else {
      changes.push("agents.defaults.model_fallbacks removed (fallbacks is set)");
    }
    delete d.model_fallbacks;
  }
  if (list.length) raw.model_list = list;
  return { raw, changes };
}

function movePath(p: unknown): unknown {
  return typeof p === "string" ? p.replace(/\.picoclaw(?=\/|$)/, ".switchboard") : p;
}

/** PicoClaw writes the same dialect: the keys are copied, ~/.picoclaw paths move to ~/.switchboard. */
export function importPicoclaw(input: Obj): Rewrite {
  const { raw, changes } = migrateConfig(input);
  const d = defaultsOf(raw);
  if (typeof d.workspace === "string" && movePath(d.workspace) !== d.workspace) {
    d.workspace = movePath(d.workspace);
    changes.push(`agents.defaults.workspace moved to ${String(d.workspace)}`);
  }
  const wa = obj(obj(raw.channels).whatsapp);
  if (typeof wa.session_store_path === "string" && movePath(wa.session_store_path) !== wa.session_store_path) {
    wa.session_store_path = movePath(wa.session_store_path);
    changes.push(`channels.whatsapp.session_store_path moved to ${String(wa.session_store_path)}`);
  }
  changes.unshift("imported a PicoClaw config");
  return { raw, changes };
}

/** Without baseUrl an OpenClaw provider uses its own default endpoint, which the new prefix would lose. */
function defaultBase(id: string, prefix: string): string | undefined {
  if (id === "litellm") return withV1(LITELLM_DEFAULT_BASE);
  const v = vendor(id);
  return v && v.prefix !== prefix && v.apiBase ? v.apiBase : undefined;
}

/**
 * OpenClaw: every models.providers model becomes a model_list entry named
 * "<provider>/<model id>" (so references and aliases keep working) with
 * model "openai/<id>" or "anthropic-messages/<id>"; a provider without models
 * becomes providers.<id> credentials for direct references;
 * agents.defaults.model.primary becomes model_name; env, aliases, image model
 * and the sections Switchboard shares are kept.
 */
export function importOpenclaw(input: Obj): Rewrite {
  const raw: Obj = {};
  const changes: string[] = ["imported an OpenClaw config"];
  if (isObj(input.env)) raw.env = structuredClone(input.env);
  const list: Obj[] = [];
  const creds: Obj = {};
  for (const [id, p] of Object.entries(obj(obj(input.models).providers))) {
    if (!isObj(p)) continue;
    const anthropic = p.api === "anthropic-messages";
    const baseUrl = typeof p.baseUrl === "string" && p.baseUrl ? p.baseUrl : undefined;
    const base = baseUrl ? (anthropic ? baseUrl.replace(/\/+$/, "") : withV1(baseUrl)) : undefined;
    const key = typeof p.apiKey === "string" && p.apiKey ? p.apiKey : undefined;
    const models = Array.isArray(p.models) ? p.models.filter(isObj) : [];
    for (const m of models) {
      if (typeof m.id !== "string") continue;
      const prefix = anthropic || m.api === "anthropic-messages" ? "anthropic-messages" : "openai";
      const apiBase = base ?? defaultBase(id, prefix);
      if (!apiBase && !vendor(id)) changes.push(`models.providers.${id} has no baseUrl; set model_list api_base for "${id}/${m.id}"`);
      list.push({
        model_name: `${id}/${m.id}`,
        model: `${prefix}/${m.id}`,
        ...(apiBase ? { api_base: apiBase } : {}),
        ...(key ? { api_key: key } : {}),
        ...(typeof m.contextWindow === "number" ? { context_window: m.contextWindow } : {}),
        ...(typeof m.maxTokens === "number" ? { max_tokens: m.maxTokens } : {}),
        ...(isObj(p.headers) ? { custom_headers: p.headers } : {}),
      });
      changes.push(`models.providers.${id} model ${m.id} became model_list entry "${id}/${m.id}"`);
    }
    if (models.length === 0 && vendor(id) && (base || key)) {
      creds[id] = { ...(base ? { api_base: base } : {}), ...(key ? { api_key: key } : {}) };
      changes.push(`models.providers.${id} (no models listed) became providers.${id}`);
    }
  }
  if (list.length) raw.model_list = list;
  if (Object.keys(creds).length) raw.providers = creds;

  const d = obj(obj(input.agents).defaults);
  const out: Obj = {};
  const model = d.model;
  if (typeof model === "string") out.model_name = model;
  else if (isObj(model)) {
    if (typeof model.primary === "string") out.model_name = model.primary;
    if (Array.isArray(model.fallbacks)) out.fallbacks = model.fallbacks;
  }
  if (out.model_name) changes.push(`agents.defaults.model.primary became model_name "${String(out.model_name)}"`);
  if (isObj(d.models)) out.models = structuredClone(d.models);
  if (isObj(d.imageGenerationModel)) out.imageGenerationModel = structuredClone(d.imageGenerationModel);
  if (typeof d.workspace === "string") out.workspace = d.workspace.replace(/\.(openclaw|clawdbot)(?=\/|$)/, ".switchboard");
  if (Object.keys(out).length) raw.agents = { defaults: out };
  for (const key of ["channels", "tools", "session", "heartbeat", "voice", "gateway"]) {
    if (isObj(input[key])) {
      raw[key] = structuredClone(input[key]);
      changes.push(`${key} copied as is (check it against the configuration reference)`);
    }
  }
  return { raw, changes };
}

/**
 * Writes a config file safely: a timestamped backup of the old file first
 * (`config.json.bak-<ts>`), then the new JSON to a temporary file renamed
 * into place. A new file gets mode 0600 (it holds keys); an existing one
 * keeps its mode. Returns the backup's path, if one was made. Comments in
 * the old file survive only in the backup.
 */
export function writeConfigFile(path: string, raw: Obj, now: Date = new Date()): string | undefined {
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  let backup: string | undefined;
  let mode = 0o600;
  if (existsSync(path)) {
    mode = statSync(path).mode & 0o777;
    backup = `${path}.bak-${now.toISOString().replace(/[:.]/g, "-")}`;
    for (let n = 2; existsSync(backup); n++) backup = `${path}.bak-${now.toISOString().replace(/[:.]/g, "-")}-${n}`;
    copyFileSync(path, backup);
    chmodSync(backup, 0o600);
  }
  const tmp = `${path}.tmp-${randomBytes(4).toString("hex")}`;
  try {
    writeFileSync(tmp, `${JSON.stringify(raw, null, 2)}\n`, { mode });
    chmodSync(tmp, mode); // the umask may have narrowed it
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return backup;
}
