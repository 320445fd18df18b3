// Rewriting configs: older Switchboard/PicoClaw forms to the current one
// (`switchboard migrate`), and imports of another gateway's file
// (`switchboard migrate --from picoclaw|openclaw`). All functions work on the
// raw JSON object and return a new one plus a list of the changes made.
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { withV1 } from "./directory.ts";

type Obj = Record<string, unknown>;

export interface Rewrite {
  raw: Obj;
  changes: string[];
}

const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

function defaultsOf(raw: Obj): Obj {
  const agents = isObj(raw.agents) ? raw.agents : (raw.agents = {});
  return isObj(agents.defaults) ? agents.defaults : (agents.defaults = {});
}

/** Current form: model_list entries instead of provider+model, one spelling of fallbacks. */
export function migrateConfig(input: Obj): Rewrite {
  const raw = structuredClone(input);
  const changes: string[] = [];
  const d = defaultsOf(raw);
  const providers = isObj(raw.providers) ? raw.providers : {};
  const list = Array.isArray(raw.model_list) ? (raw.model_list as Obj[]) : [];

  if (typeof d.provider === "string" && typeof d.model === "string") {
    const creds = isObj(providers[d.provider]) ? (providers[d.provider] as Obj) : {};
    const name = d.model;
    if (!list.some((e) => e.model_name === name)) {
      list.push({
        model_name: name,
        model: name.includes("/") ? name : `${d.provider}/${name}`,
        ...(creds.api_key ? { api_key: creds.api_key } : {}),
        ...(creds.api_base ? { api_base: creds.api_base } : {}),
        ...(creds.proxy ? { proxy: creds.proxy } : {}),
      });
      changes.push(`agents.defaults.provider "${d.provider}" + model "${name}" became model_list entry "${name}"`);
    }
    delete d.provider;
    delete d.model;
    d.model_name = name;
    changes.push(`agents.defaults.model_name set to "${name}"`);
  }
  if (Array.isArray(d.model_fallbacks) && d.fallbacks === undefined) {
    d.fallbacks = d.model_fallbacks;
    delete d.model_fallbacks;
    changes.push("agents.defaults.model_fallbacks renamed to fallbacks");
  }
  if (list.length) raw.model_list = list;
  return { raw, changes };
}

/** PicoClaw writes the same dialect; only its paths differ. */
export function importPicoclaw(input: Obj): Rewrite {
  const { raw, changes } = migrateConfig(input);
  const d = defaultsOf(raw);
  if (typeof d.workspace === "string" && d.workspace.includes(".picoclaw")) {
    d.workspace = d.workspace.replace(".picoclaw", ".switchboard");
    changes.push(`agents.defaults.workspace moved to ${d.workspace}`);
  }
  const wa = isObj(raw.channels) && isObj((raw.channels as Obj).whatsapp) ? ((raw.channels as Obj).whatsapp as Obj) : undefined;
  if (wa && typeof wa.session_store_path === "string" && wa.session_store_path.includes(".picoclaw")) {
    wa.session_store_path = wa.session_store_path.replace(".picoclaw", ".switchboard");
    changes.push("channels.whatsapp.session_store_path moved under ~/.switchboard");
  }
  changes.unshift("imported a PicoClaw config");
  return { raw, changes };
}

/** OpenClaw's models.providers become model_list entries; the primary model becomes model_name. */
export function importOpenclaw(input: Obj): Rewrite {
  const raw: Obj = {};
  const changes: string[] = ["imported an OpenClaw config"];
  if (isObj(input.env)) raw.env = structuredClone(input.env);
  const list: Obj[] = [];
  const providers = isObj(input.models) && isObj((input.models as Obj).providers) ? ((input.models as Obj).providers as Obj) : {};
  for (const [id, p] of Object.entries(providers)) {
    if (!isObj(p)) continue;
    const anthropic = p.api === "anthropic-messages";
    const base = typeof p.baseUrl === "string" && p.baseUrl ? (anthropic ? p.baseUrl : withV1(p.baseUrl)) : undefined;
    for (const m of Array.isArray(p.models) ? (p.models as Obj[]) : []) {
      if (typeof m.id !== "string") continue;
      list.push({
        model_name: `${id}/${m.id}`,
        model: `${anthropic ? "anthropic-messages" : "openai"}/${m.id}`,
        ...(base ? { api_base: base } : {}),
        ...(typeof p.apiKey === "string" ? { api_key: p.apiKey } : {}),
        ...(typeof m.contextWindow === "number" ? { context_window: m.contextWindow } : {}),
      });
      changes.push(`models.providers.${id} model ${m.id} became model_list entry "${id}/${m.id}"`);
    }
  }
  if (list.length) raw.model_list = list;
  const d = isObj(input.agents) && isObj((input.agents as Obj).defaults) ? ((input.agents as Obj).defaults as Obj) : {};
  const out: Obj = {};
  const model = d.model;
  if (typeof model === "string") out.model_name = model;
  else if (isObj(model)) {
    if (typeof model.primary === "string") out.model_name = model.primary;
    if (Array.isArray(model.fallbacks)) out.fallbacks = model.fallbacks;
  }
  if (isObj(d.imageGenerationModel)) out.imageGenerationModel = d.imageGenerationModel;
  if (typeof d.workspace === "string") out.workspace = d.workspace.replace(/\.(openclaw|clawdbot)/, ".switchboard");
  if (Object.keys(out).length) {
    raw.agents = { defaults: out };
    changes.push(`agents.defaults.model.primary became model_name "${String(out.model_name ?? "")}"`);
  }
  for (const key of ["channels", "tools", "session", "heartbeat", "voice", "gateway"]) {
    if (isObj(input[key])) raw[key] = structuredClone(input[key]);
  }
  return { raw, changes };
}

/**
 * Writes a config file safely: a timestamped backup of the old file first,
 * then the new text to a temporary file renamed into place, mode 0600.
 * Returns the backup's path, if one was made.
 */
export function writeConfigFile(path: string, raw: Obj, now = new Date()): string | undefined {
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  let backup: string | undefined;
  if (existsSync(path)) {
    backup = `${path}.bak-${now.toISOString().replace(/[:.]/g, "-")}`;
    copyFileSync(path, backup);
  }
  const tmp = `${path}.tmp-${randomBytes(4).toString("hex")}`;
  writeFileSync(tmp, `${JSON.stringify(raw, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
  return backup;
}
