// `switchboard migrate --from openclaw`: OpenClaw's file in Switchboard's
// terms. Models: every models.providers model becomes a model_list entry
// named "<provider>/<id>" (references and aliases keep working); a provider
// without models becomes providers.<id> credentials; agent(s).defaults.model
// in string or object form becomes model_name + fallbacks. Channels: tokens
// (botToken, token, appId/appSecret…), allow-lists in every form (allowFrom,
// dm.allowFrom, the first of accounts), dmPolicy, group mention rules and
// session.dmScope. What has no counterpart is listed with a reason.
import { vendor } from "../providers/catalogue.ts";
import { normalizePeerForms } from "./compat.ts";
import { LITELLM_DEFAULT_BASE, withV1 } from "./model-entries.ts";
import { pruneToSchema, reasonFor } from "./prune.ts";
import { importOpenclawMcp } from "../mcp/migrate.ts";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const text = (v: unknown): string | undefined => (typeof v === "string" && v.trim() !== "" ? v : typeof v === "number" ? String(v) : undefined);
const ids = (v: unknown): string[] => (Array.isArray(v) ? v.map(text).filter((x): x is string => x !== undefined) : []);

export interface Import {
  raw: Obj;
  changes: string[];
  /** "path: reason" for every setting that did not come along */
  dropped: string[];
}

/** Without baseUrl an OpenClaw provider uses its own default endpoint, which the new prefix would lose. */
function defaultBase(id: string, prefix: string): string | undefined {
  if (id === "litellm") return withV1(LITELLM_DEFAULT_BASE);
  const v = vendor(id);
  return v && v.prefix !== prefix && v.apiBase ? v.apiBase : undefined;
}

function importModels(input: Obj, raw: Obj, out: Import): void {
  const list: Obj[] = [];
  const creds: Obj = {};
  for (const [id, p] of Object.entries(obj(obj(input.models).providers))) {
    if (!isObj(p)) continue;
    const anthropic = p.api === "anthropic-messages";
    const baseUrl = text(p.baseUrl);
    const base = baseUrl ? (anthropic ? baseUrl.replace(/\/+$/, "") : withV1(baseUrl)) : undefined;
    const key = text(p.apiKey);
    const models = Array.isArray(p.models) ? p.models.filter(isObj) : [];
    for (const m of models) {
      if (typeof m.id !== "string") continue;
      const prefix = anthropic || m.api === "anthropic-messages" ? "anthropic-messages" : "openai";
      const apiBase = base ?? defaultBase(id, prefix);
      if (!apiBase && !vendor(id)) out.changes.push(`models.providers.${id} has no baseUrl; set model_list api_base for "${id}/${m.id}"`);
      list.push({
        model_name: `${id}/${m.id}`,
        model: `${prefix}/${m.id}`,
        ...(apiBase ? { api_base: apiBase } : {}),
        ...(key ? { api_key: key } : {}),
        ...(typeof m.contextWindow === "number" ? { context_window: m.contextWindow } : {}),
        ...(typeof m.maxTokens === "number" ? { max_tokens: m.maxTokens } : {}),
        ...(isObj(p.headers) ? { custom_headers: p.headers } : {}),
      });
      out.changes.push(`models.providers.${id} model ${m.id} became model_list entry "${id}/${m.id}"`);
      for (const k of Object.keys(m)) if (!["id", "name", "api", "contextWindow", "maxTokens", "reasoning", "input", "cost", "headers"].includes(k)) out.dropped.push(`models.providers.${id}.models[].${k}: Switchboard has no such model setting`);
    }
    if (models.length === 0 && vendor(id) && (base || key)) {
      creds[id] = { ...(base ? { api_base: base } : {}), ...(key ? { api_key: key } : {}) };
      out.changes.push(`models.providers.${id} (no models listed) became providers.${id}`);
    }
  }
  if (list.length) raw.model_list = list;
  if (Object.keys(creds).length) raw.providers = creds;
}

/** "30m", "2h", "1h30m" → minutes. */
function minutes(every: unknown): number | undefined {
  if (typeof every === "number") return every;
  if (typeof every !== "string") return undefined;
  const m = /^\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$/i.exec(every);
  if (!m || (!m[1] && !m[2])) return undefined;
  return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0);
}

function importAgent(input: Obj, raw: Obj, out: Import): void {
  const d = obj(obj(input.agents).defaults);
  const next: Obj = {};
  const model = d.model;
  if (typeof model === "string" && model.trim()) next.model_name = model;
  else if (isObj(model)) {
    if (typeof model.primary === "string") next.model_name = model.primary;
    if (Array.isArray(model.fallbacks)) next.fallbacks = ids(model.fallbacks);
  }
  if (next.model_name) out.changes.push(`agents.defaults.model became model_name "${String(next.model_name)}"${next.fallbacks ? ` with ${(next.fallbacks as string[]).length} fallback(s)` : ""}`);
  if (isObj(d.models)) next.models = structuredClone(d.models);
  if (isObj(d.imageGenerationModel)) next.imageGenerationModel = structuredClone(d.imageGenerationModel);
  if (typeof d.workspace === "string") next.workspace = d.workspace.replace(/\.(openclaw|clawdbot)(?=\/|$)/, ".switchboard");
  if (isObj(d.heartbeat)) {
    const every = minutes(d.heartbeat.every);
    if (every !== undefined && every > 0) {
      raw.heartbeat = { enabled: true, interval: every };
      out.changes.push(`agents.defaults.heartbeat.every became heartbeat.interval ${every}`);
    }
    for (const k of Object.keys(d.heartbeat)) if (k !== "every") out.dropped.push(`agents.defaults.heartbeat.${k}: Switchboard's heartbeat has no such setting`);
  }
  const taken = new Set(["model", "models", "imageGenerationModel", "workspace", "heartbeat"]);
  for (const k of Object.keys(d)) if (!taken.has(k)) out.dropped.push(`agents.defaults.${k}: Switchboard has no such agent setting`);
  for (const k of Object.keys(obj(input.agents))) if (k !== "defaults") out.dropped.push(`agents.${k}: only agents.defaults is supported (one agent)`);
  if (Object.keys(next).length) raw.agents = { defaults: next };
}

/** OpenClaw key → Switchboard key, per channel; allow-lists and policies are handled apart. */
const CHANNEL_KEYS: Record<string, Record<string, string>> = {
  telegram: { botToken: "token", token: "token", proxy: "proxy", webhookUrl: "webhook_url", webhookSecret: "webhook_secret", apiRoot: "api_base" },
  discord: { token: "token", botToken: "token", proxy: "proxy" },
  whatsapp: { proxy: "proxy" },
  feishu: { appId: "app_id", appSecret: "app_secret", encryptKey: "encrypt_key", verificationToken: "verification_token", domain: "domain", proxy: "proxy" },
  qq: { appId: "app_id", appSecret: "app_secret", clientSecret: "app_secret", sandbox: "sandbox" },
};
const POLICY_KEYS = new Set(["enabled", "allowFrom", "dm", "dmPolicy", "groups", "guilds", "requireMention", "groupPolicy", "groupAllowFrom", "accounts"]);

/** requireMention from groups["*"], guilds.*, or the channel itself; undefined when not stated or mixed. */
function mentionRule(ch: Obj, id: string, out: Import): boolean | undefined {
  const rules: boolean[] = [];
  if (typeof ch.requireMention === "boolean") rules.push(ch.requireMention);
  for (const [gid, g] of Object.entries(obj(ch.groups))) {
    if (typeof obj(g).requireMention === "boolean") rules.push(obj(g).requireMention as boolean);
    if (gid !== "*") out.dropped.push(`channels.${id}.groups.${gid}: per-group rules are not supported; group_trigger applies to every group`);
  }
  for (const [gid, g] of Object.entries(obj(ch.guilds))) {
    if (typeof obj(g).requireMention === "boolean") rules.push(obj(g).requireMention as boolean);
    if (isObj(obj(g).channels)) out.dropped.push(`channels.${id}.guilds.${gid}.channels: per-channel rules are not supported; group_trigger applies everywhere`);
  }
  if (rules.length === 0) return undefined;
  if (rules.every((r) => r === rules[0])) return rules[0];
  out.dropped.push(`channels.${id} group rules: they differ between groups; Switchboard answers in groups only when mentioned`);
  return true;
}

function importChannel(id: string, source: Obj, out: Import): Obj {
  let ch = source;
  // multi-account form: the first account supplies what the channel itself lacks
  if (isObj(ch.accounts)) {
    const [first, ...rest] = Object.entries(ch.accounts).filter(([, a]) => isObj(a)) as [string, Obj][];
    if (first) ch = { ...first[1], ...ch };
    for (const [name] of rest) out.dropped.push(`channels.${id}.accounts.${name}: one account per channel; only "${first![0]}" is used`);
  }
  const next: Obj = { enabled: ch.enabled !== false };
  for (const [from, to] of Object.entries(CHANNEL_KEYS[id] ?? {})) if (ch[from] !== undefined && next[to] === undefined) next[to] = ch[from];
  const dm = obj(ch.dm);
  const allow = [...new Set([...ids(ch.allowFrom), ...ids(dm.allowFrom)])];
  const policy = text(ch.dmPolicy) ?? text(dm.policy);
  if (policy === "open" && !allow.includes("*")) allow.push("*");
  if (policy === "disabled" || dm.enabled === false) out.dropped.push(`channels.${id}.dmPolicy: direct messages cannot be switched off alone; allow_from decides who may write`);
  if (policy === "pairing" && allow.length) out.changes.push(`channels.${id}: dmPolicy "pairing" with an allow-list: listed users are allowed, strangers are ignored (an empty allow_from gives them pairing codes)`);
  if (allow.length) next.allow_from = allow;
  const mention = mentionRule(ch, id, out);
  if (mention !== undefined) next.group_trigger = { mention_only: mention };
  if (ch.groupPolicy !== undefined || ch.groupAllowFrom !== undefined) {
    out.dropped.push(`channels.${id}.groupPolicy/groupAllowFrom: there is no separate group allow-list; allow_from applies in groups too`);
  }
  if (id === "whatsapp") {
    next.use_native = true;
    out.changes.push("channels.whatsapp: connects directly (use_native); log in once with `switchboard channels login whatsapp`");
  }
  if (ch.tokenFile !== undefined) out.dropped.push(`channels.${id}.tokenFile: copy the token into channels.${id}.token`);
  for (const k of Object.keys(source)) {
    if (!POLICY_KEYS.has(k) && !(k in (CHANNEL_KEYS[id] ?? {})) && k !== "tokenFile") out.dropped.push(`channels.${id}.${k}: Switchboard's ${id} channel has no such setting`);
  }
  out.changes.push(`channels.${id}: ${next.token || next.app_id ? "credentials, " : ""}${allow.length} allowed sender(s)${mention !== undefined ? `, mention_only ${String(mention)}` : ""}`);
  return next;
}

function importChannels(input: Obj, raw: Obj, out: Import): void {
  const channels: Obj = {};
  for (const [id, ch] of Object.entries(obj(input.channels))) {
    if (!isObj(ch)) continue;
    if (!(id in CHANNEL_KEYS)) {
      out.dropped.push(`channels.${id}: ${reasonFor(`channels.${id}`)}`);
      continue;
    }
    channels[id] = importChannel(id, ch, out);
  }
  if (Object.keys(channels).length) raw.channels = channels;
}

const DM_SCOPES = new Set(["main", "per-peer", "per-channel-peer", "per-account-channel-peer"]);

function importSessionAndGateway(input: Obj, raw: Obj, out: Import): void {
  const s = obj(input.session);
  const scope = text(s.dmScope) ?? text(s.dm_scope);
  if (scope && DM_SCOPES.has(scope)) {
    raw.session = { dm_scope: scope };
    out.changes.push(`session.dmScope became session.dm_scope "${scope}"`);
  } else if (s.scope === "global") {
    raw.session = { dm_scope: "main" };
    out.changes.push('session.scope "global" became session.dm_scope "main"');
  }
  for (const k of Object.keys(s)) if (!["dmScope", "dm_scope", "scope"].includes(k)) out.dropped.push(`session.${k}: Switchboard has no such session setting`);

  const g = obj(input.gateway);
  const gateway: Obj = {};
  if (typeof g.port === "number") gateway.port = g.port;
  if (g.bind === "loopback") gateway.host = "127.0.0.1";
  else if (g.bind === "lan") gateway.host = "0.0.0.0";
  const token = text(obj(g.auth).token);
  if (token) gateway.token = token;
  if (Object.keys(gateway).length) {
    raw.gateway = gateway;
    out.changes.push(`gateway: ${Object.keys(gateway).join(", ")} kept`);
  }
  for (const k of Object.keys(g)) if (!["port", "bind", "auth"].includes(k)) out.dropped.push(`gateway.${k}: Switchboard's gateway has no such setting`);
  for (const k of Object.keys(obj(g.auth))) if (k !== "token") out.dropped.push(`gateway.auth.${k}: the gateway authenticates with gateway.token only`);
  if (typeof g.bind === "string" && !["loopback", "lan"].includes(g.bind)) out.dropped.push(`gateway.bind: "${g.bind}" has no counterpart; set gateway.host to the address to listen on`);
}

/** Imports an OpenClaw config; `input` is not changed. */
export function importOpenclaw(source: Obj): Import {
  const out: Import = { raw: {}, changes: ["imported an OpenClaw config"], dropped: [] };
  const notes: string[] = [];
  const input = normalizePeerForms(structuredClone(source), notes);
  for (const n of notes) out.dropped.push(n);
  const raw = out.raw;
  if (isObj(input.env)) raw.env = structuredClone(input.env);
  importModels(input, raw, out);
  importAgent(input, raw, out);
  importChannels(input, raw, out);
  importSessionAndGateway(input, raw, out);
  out.changes.push(...importOpenclawMcp(input, raw));
  for (const key of ["tools", "voice", "heartbeat"]) {
    if (isObj(input[key]) && raw[key] === undefined) {
      raw[key] = structuredClone(input[key]);
      out.changes.push(`${key} copied (settings Switchboard lacks are dropped below)`);
    }
  }
  const handled = new Set(["env", "models", "agents", "channels", "session", "gateway", "tools", "voice", "heartbeat", "mcp"]);
  for (const k of Object.keys(input)) if (!handled.has(k)) out.dropped.push(`${k}: ${reasonFor(k)}`);
  const pruned = pruneToSchema(raw);
  return { ...out, raw: pruned.raw, dropped: [...out.dropped, ...pruned.dropped] };
}
