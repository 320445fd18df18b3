// MCP settings from the peers' configs into `mcp.servers`:
// PicoClaw keeps them under tools.mcp ({ enabled, servers }); OpenClaw under
// mcp.servers with a few keys of its own (workingDirectory, OAuth, TLS).
// Both functions change `raw` in place and return a line per change.
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

/** Server keys Switchboard reads (see schema.ts); the rest are dropped with a note. */
const KNOWN = new Set(["enabled", "type", "transport", "command", "args", "env", "env_file", "cwd", "workingDirectory", "url", "headers", "tools", "timeout", "requestTimeoutMs", "connectionTimeoutMs", "lazy"]);

function servers(raw: Obj): Obj {
  const mcp = isObj(raw.mcp) ? raw.mcp : (raw.mcp = {});
  return isObj(mcp.servers) ? mcp.servers : (mcp.servers = {});
}

function cleanServer(name: string, s: Obj, changes: string[]): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === "workingDirectory") out.cwd = v;
    else if (KNOWN.has(k)) out[k] = structuredClone(v);
    else changes.push(`mcp.servers.${name}.${k} dropped (Switchboard does not support it)`);
  }
  if (out.transport === "streamable-http" || out.type === "streamable-http") {
    delete out.transport;
    out.type = "http";
  }
  return out;
}

/** PicoClaw's tools.mcp becomes mcp.servers; servers of a disabled block stay off (enabled: false). */
export function migrateMcpSettings(raw: Obj): string[] {
  const changes: string[] = [];
  const tools = isObj(raw.tools) ? raw.tools : undefined;
  const pico = tools && isObj(tools.mcp) ? tools.mcp : undefined;
  if (!tools || !pico) return changes;
  const on = pico.enabled === true;
  const target = servers(raw);
  for (const [name, s] of Object.entries(isObj(pico.servers) ? pico.servers : {})) {
    if (!isObj(s)) continue;
    if (target[name] !== undefined) {
      changes.push(`tools.mcp.servers.${name} dropped: mcp.servers.${name} already exists`);
      continue;
    }
    const server = cleanServer(name, s, changes);
    if (!on) server.enabled = false;
    target[name] = server;
    changes.push(`tools.mcp.servers.${name} moved to mcp.servers.${name}${on ? "" : " (disabled, as tools.mcp.enabled was not true)"}`);
  }
  for (const k of Object.keys(pico)) if (k !== "enabled" && k !== "servers") changes.push(`tools.mcp.${k} dropped (Switchboard does not support it)`);
  delete tools.mcp;
  return changes;
}

/** OpenClaw's mcp.servers, kept with the keys Switchboard reads. */
export function importOpenclawMcp(input: Obj, raw: Obj): string[] {
  const changes: string[] = [];
  const from = isObj(input.mcp) && isObj(input.mcp.servers) ? input.mcp.servers : undefined;
  if (!from) return changes;
  const target = servers(raw);
  for (const [name, s] of Object.entries(from)) {
    if (!isObj(s)) continue;
    target[name] = cleanServer(name, s, changes);
    changes.push(`mcp.servers.${name} imported`);
  }
  return changes;
}
