// `switchboard doctor`: checks the config, the store, the HTTP port, the
// models and each enabled channel's credentials, and says what to fix.
// Exit 0 when nothing failed, 1 otherwise.
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import type { Command } from "commander";
import { ConfigError } from "../core/errors.ts";
import { agentModelSelection, buildModelDirectory } from "../config/models.ts";
import { resolvePaths } from "../config/paths.ts";
import { loadConfig } from "../config/load.ts";
import { missingCredentials } from "../gateway/channels.ts";
import { gatewayListen } from "../gateway/listen.ts";
import { isLoopbackHost } from "../http/server.ts";
import { openStore } from "../store/index.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";

type Level = "ok" | "warn" | "fail";
interface Check {
  level: Level;
  what: string;
  fix?: string;
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

export async function runDoctor(env: NodeJS.ProcessEnv, configFlag?: string): Promise<Check[]> {
  const checks: Check[] = [];
  const paths = resolvePaths(env, configFlag);
  let loaded;
  try {
    loaded = loadConfig({ path: paths.configFile, env: { ...env } });
  } catch (err) {
    checks.push({ level: "fail", what: `config ${paths.configFile} is invalid`, fix: err instanceof ConfigError ? err.message : String(err) });
    return checks;
  }
  checks.push(loaded.exists ? { level: "ok", what: `config ${paths.configFile}` } : { level: "warn", what: `no config at ${paths.configFile}`, fix: "run `switchboard onboard`" });
  for (const w of loaded.warnings) checks.push({ level: "warn", what: w });

  try {
    const store = openStore(paths.dbFile);
    const counts = store.delivery.counts();
    store.close();
    checks.push({ level: counts.dead ? "warn" : "ok", what: `store ${paths.dbFile}: ${counts.inboundPending} inbound pending, ${counts.outboundPending} outbound pending, ${counts.dead} dead`, ...(counts.dead ? { fix: "see `switchboard status` for the dead messages" } : {}) });
  } catch (err) {
    checks.push({ level: "fail", what: `store ${paths.dbFile} cannot be opened`, fix: (err as Error).message });
  }

  const config = loaded.config;
  const directory = buildModelDirectory(config, env);
  const { primary, fallbacks } = agentModelSelection(config, env);
  if (!primary) checks.push({ level: "fail", what: "no model configured", fix: "set agents.defaults.model_name to a model_list entry, or run `switchboard onboard`" });
  for (const name of [primary, ...fallbacks].filter((n): n is string => !!n)) {
    const entries = directory.lookup(name);
    if (entries.length === 0) checks.push({ level: "fail", what: `model "${name}" matches no entry`, fix: "add a model_list entry with that model_name, or the vendor's key under providers" });
    for (const e of entries) {
      if (!e.apiBase) checks.push({ level: "fail", what: `${e.id}: no api_base`, fix: `set model_list api_base for ${e.model}` });
      else if (e.apiKeys.length === 0 && !/localhost|127\.0\.0\.1|ollama|vllm/.test(e.apiBase + e.vendor)) checks.push({ level: "warn", what: `${e.id}: no API key for ${e.apiBase}`, fix: "set api_key (or run `switchboard status --probe` to check)" });
      else checks.push({ level: "ok", what: `${e.id} → ${e.apiBase}` });
    }
  }

  let listen;
  try {
    listen = gatewayListen(config.gateway, env);
    if (!isLoopbackHost(listen.host) && !listen.token) checks.push({ level: "fail", what: `gateway.host ${listen.host} is not loopback and gateway.token is empty`, fix: "set gateway.token, or bind to 127.0.0.1" });
    const free = await portFree(listen.host, listen.port);
    checks.push(free ? { level: "ok", what: `port ${listen.host}:${listen.port} is free` } : { level: "warn", what: `port ${listen.host}:${listen.port} is in use`, fix: "a gateway may already be running; otherwise change gateway.port" });
  } catch (err) {
    checks.push({ level: "fail", what: "gateway address", fix: (err as Error).message });
  }

  for (const [id, ch] of Object.entries(config.channels)) {
    const c = ch as Record<string, unknown> & { enabled: boolean; allow_from: string[] };
    if (!c.enabled) continue;
    const missing = missingCredentials(id, c);
    if (missing.length) checks.push({ level: "fail", what: `channel ${id} is enabled without ${missing.join(", ")}`, fix: `set channels.${id}.${missing[0]}` });
    else checks.push({ level: "ok", what: `channel ${id} has its credentials` });
    if (c.allow_from.length === 0) checks.push({ level: "warn", what: `channel ${id}: allow_from is empty`, fix: "strangers get a pairing code; approve them with `switchboard pairing approve`, or list their ids in allow_from" });
    if (id === "whatsapp" && c.use_native && typeof c.session_store_path === "string" && c.session_store_path && !existsSync(c.session_store_path)) {
      checks.push({ level: "warn", what: "whatsapp is not paired yet", fix: "run `switchboard channels login whatsapp`" });
    }
  }
  return checks;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command("doctor")
    .description("check config, store, ports and channel credentials, and say what to fix")
    .action(async () => {
      const checks = await runDoctor(ctx.io.env, ctx.configPath);
      const mark: Record<Level, string> = { ok: "ok  ", warn: "warn", fail: "FAIL" };
      for (const c of checks) {
        writeLine(ctx.io.stdout, `${mark[c.level]} ${c.what}`);
        if (c.fix && c.level !== "ok") writeLine(ctx.io.stdout, `     fix: ${c.fix.replace(/\n/g, "\n     ")}`);
      }
      if (checks.some((c) => c.level === "fail")) ctx.exitCode = 1;
    });
}
