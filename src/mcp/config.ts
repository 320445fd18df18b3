// From the config's three MCP sections to one list of servers the manager
// runs. `mcp.servers` wins over `mcpServers`, which wins over PicoClaw's
// `tools.mcp.servers`, when a name appears twice. Server names become the
// prefix of tool names (`<server>__<tool>`), so they are reduced to the
// characters providers accept.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { McpServerConfig } from "./schema.ts";

export const DEFAULT_CALL_TIMEOUT_MS = 60_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

export interface McpServerSpec {
  name: string;
  transport: "stdio" | "http" | "sse";
  /** http: try streamable HTTP first and fall back to SSE (no explicit type) */
  sseFallback: boolean;
  command?: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  url?: string;
  headers: Record<string, string>;
  allow?: string[];
  deny?: string[];
  callTimeoutMs: number;
  connectTimeoutMs: number;
  lazy: boolean;
}

export interface McpConfigView {
  mcp?: { servers?: Record<string, McpServerConfig>; lazy?: boolean };
  mcpServers?: Record<string, McpServerConfig>;
  tools?: { mcp?: { enabled?: boolean; servers?: Record<string, McpServerConfig> } | undefined };
}

/** A server name as a tool-name prefix: letters, digits, "_" and "-" only, at most 24 characters. */
export function serverPrefix(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 24) || "mcp";
}

/** The enabled servers of a config, one spec each, in a stable order. */
export function mcpServerSpecs(config: McpConfigView, baseDir: string = process.cwd()): McpServerSpec[] {
  const lazyDefault = config.mcp?.lazy ?? false;
  const merged = new Map<string, McpServerConfig>();
  const pico = config.tools?.mcp;
  if (pico?.enabled) for (const [n, s] of Object.entries(pico.servers ?? {})) merged.set(n, s);
  for (const [n, s] of Object.entries(config.mcpServers ?? {})) merged.set(n, s);
  for (const [n, s] of Object.entries(config.mcp?.servers ?? {})) merged.set(n, s);
  const specs: McpServerSpec[] = [];
  const taken = new Set<string>();
  for (const [rawName, s] of merged) {
    if (!s.enabled) continue;
    let name = serverPrefix(rawName);
    for (let n = 2; taken.has(name); n++) name = `${serverPrefix(rawName).slice(0, 21)}_${n}`;
    taken.add(name);
    const type = s.type ?? s.transport;
    const transport = s.command ? "stdio" : type === "sse" ? "sse" : "http";
    specs.push({
      name,
      transport,
      sseFallback: transport === "http" && type === undefined,
      ...(s.command ? { command: s.command } : {}),
      args: s.args,
      env: { ...(s.env_file ? readEnvFile(resolve(baseDir, s.env_file), rawName) : {}), ...s.env },
      ...((s.cwd ?? s.workingDirectory) ? { cwd: resolve(baseDir, (s.cwd ?? s.workingDirectory)!) } : {}),
      ...(s.url ? { url: s.url } : {}),
      headers: s.headers,
      ...(s.tools?.allow ? { allow: s.tools.allow } : {}),
      ...(s.tools?.deny ? { deny: s.tools.deny } : {}),
      callTimeoutMs: s.requestTimeoutMs ?? (s.timeout !== undefined ? Math.round(s.timeout * 1000) : DEFAULT_CALL_TIMEOUT_MS),
      connectTimeoutMs: s.connectionTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      lazy: s.lazy ?? lazyDefault,
    });
  }
  return specs.sort((a, b) => a.name.localeCompare(b.name));
}

/** KEY=VALUE lines; # comments and blank lines skipped; optional quotes removed. */
function readEnvFile(path: string, server: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`mcp server "${server}": cannot read env_file ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
  const env: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trimStart().startsWith("#")) continue;
    env[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/, "$2");
  }
  return env;
}

/** Glob match for allow/deny lists: "*" is any run of characters. */
export function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  return re.test(name);
}

/** Whether a server's tool reaches the model under its allow/deny lists. */
export function toolAllowed(spec: Pick<McpServerSpec, "allow" | "deny">, tool: string): boolean {
  if (spec.allow && !spec.allow.some((p) => globMatch(p, tool))) return false;
  if (spec.deny?.some((p) => globMatch(p, tool))) return false;
  return true;
}

/**
 * A hash of everything that makes a server what it is: reload restarts a
 * server whose key changed. Hashed because the spec holds tokens (headers,
 * env) and the key is saved with the lazy servers' tool lists.
 */
export function specKey(spec: McpServerSpec): string {
  return createHash("sha256").update(JSON.stringify(spec)).digest("hex").slice(0, 32);
}
