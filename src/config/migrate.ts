// Rewriting configs: older Switchboard/PicoClaw forms to the current one
// (`switchboard migrate`), and imports of another gateway's file
// (`switchboard migrate --from picoclaw|openclaw`). The functions work on the
// raw JSON object, never change their input, and return a new object plus a
// line per change. writeConfigFile saves a result safely.
import { randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { migrateMcpSettings } from "../mcp/migrate.ts";
import { vendor } from "../providers/catalogue.ts";
import { normalizePeerForms } from "./compat.ts";
import { guessVendor } from "./model-entries.ts";
import { pruneToSchema } from "./prune.ts";
import { applySecurity } from "./security.ts";

export { importOpenclaw } from "./import-openclaw.ts";

type Obj = Record<string, unknown>;

export interface Rewrite {
  raw: Obj;
  changes: string[];
  /** "path: reason" for every setting an import left out (empty for plain migrations) */
  dropped: string[];
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
  changes.push(...migrateMcpSettings(raw));
  return { raw, changes, dropped: [] };
}

function movePath(p: unknown): unknown {
  return typeof p === "string" ? p.replace(/\.picoclaw(?=\/|$)/, ".switchboard") : p;
}

/** PicoClaw channel keys that Switchboard spells differently. */
function picoclawChannels(raw: Obj, changes: string[]): void {
  const channels = obj(raw.channels);
  const tg = obj(channels.telegram);
  if (typeof tg.base_url === "string") {
    if (tg.base_url.trim() && tg.api_base === undefined) {
      tg.api_base = tg.base_url;
      changes.push("channels.telegram.base_url became api_base");
    }
    delete tg.base_url;
  }
  for (const id of Object.keys(channels)) {
    const ch = obj(channels[id]);
    if (typeof ch.mention_only === "boolean") {
      ch.group_trigger = { mention_only: ch.mention_only, ...obj(ch.group_trigger) };
      delete ch.mention_only;
      changes.push(`channels.${id}.mention_only became group_trigger.mention_only`);
    }
  }
  // PicoClaw lets everyone in when allow_from is empty; Switchboard pairs strangers instead
  for (const id of Object.keys(channels)) {
    const ch = obj(channels[id]);
    const allow = Array.isArray(ch.allow_from) ? ch.allow_from.filter((x) => x !== "") : [];
    if (ch.enabled === true && allow.length === 0) {
      changes.push(`channels.${id}: allow_from is empty, which let everyone in under PicoClaw; Switchboard gives strangers a pairing code instead (add "*" to allow_from to let everyone in)`);
    }
  }
  const feishu = obj(channels.feishu);
  if (typeof feishu.is_lark === "boolean") {
    if (feishu.is_lark && feishu.domain === undefined) feishu.domain = "lark";
    delete feishu.is_lark;
    if (feishu.domain === "lark") changes.push(`channels.feishu.is_lark became domain "lark"`);
  }
}

/**
 * PicoClaw writes the same dialect: the keys are copied, v3's channel_list
 * and `.security.yml` secrets (pass its parsed content) are folded in,
 * ~/.picoclaw paths move to ~/.switchboard, and settings Switchboard lacks
 * are dropped with a reason.
 */
export function importPicoclaw(input: Obj, security?: Obj): Rewrite {
  const source = structuredClone(input);
  const notes: string[] = [];
  if (security) applySecurity(source, structuredClone(security), notes);
  const hadList = isObj(source.channel_list);
  const { raw, changes } = migrateConfig(normalizePeerForms(source, notes));
  if (hadList) changes.push("channel_list (v3) became channels.<type>");
  if (security) changes.push("secrets from .security.yml folded in");
  picoclawChannels(raw, changes);
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
  if (isObj(raw.agents) && isObj(raw.agents.defaults) && Object.keys(raw.agents.defaults).length === 0 && !("agents" in input)) delete raw.agents;
  changes.unshift("imported a PicoClaw config");
  const pruned = pruneToSchema(raw);
  return { raw: pruned.raw, changes, dropped: [...notes, ...pruned.dropped] };
}

/**
 * Writes a config file safely: a timestamped backup of the old file first
 * (`config.json.bak-<ts>`), then the new JSON to a temporary file renamed
 * into place. A new file gets mode 0600 (it holds keys); an existing one
 * keeps its mode. Returns the backup's path, if one was made. Comments in
 * the old file survive only in the backup.
 */
export function writeConfigFile(path: string, raw: Obj, now: Date = new Date()): string | undefined {
  return writeConfigText(path, `${JSON.stringify(raw, null, 2)}\n`, now);
}

/** the same for a text the person wrote (the control page's editor): comments and layout kept */
export function writeConfigText(path: string, text: string, now: Date = new Date()): string | undefined {
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
    writeFileSync(tmp, text, { mode });
    chmodSync(tmp, mode); // the umask may have narrowed it
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return backup;
}
