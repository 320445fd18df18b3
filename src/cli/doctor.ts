// `switchboard doctor [--json] [--fix]`: checks the runtime, the config, the
// state directory and workspace, the store, the gateway's address, and — for
// real — every model (a one-token request) and every enabled channel (its
// own credential probe, or the running gateway's view of it), and says what
// to fix. --fix repairs what is safe to repair: permissions, missing
// workspace files, config repairs (with a backup of the file), and on
// PostgreSQL the store schema and the fleet tables (doctor-store.ts).
// Exit 0 when nothing failed, 1 otherwise.
import { chmodSync, existsSync, statSync } from "node:fs";
import { redact, redactValue } from "../core/redact.ts";
import { createServer } from "node:net";
import type { Command } from "commander";
import { ensureWorkspace, WORKSPACE_FILES } from "../agent/workspace.ts";
import { ConfigError } from "../core/errors.ts";
import { silentLogger } from "../core/logger.ts";
import { agentModelSelection, buildModelDirectory } from "../config/models.ts";
import { migrateConfig, writeConfigFile } from "../config/migrate.ts";
import { expandHome, resolvePaths, type Paths } from "../config/paths.ts";
import { loadConfig, readRawConfig, type LoadedConfig } from "../config/load.ts";
import { loadChannels, missingCredentials } from "../gateway/channels.ts";
import { gatewayListen } from "../gateway/listen.ts";
import type { ChannelStatus } from "../gateway/supervisor.ts";
import { isLoopbackHost } from "../http/server.ts";
import { sandboxChecks } from "../sandbox/doctor.ts";
import type { ModelEntry } from "../providers/types.ts";
import { storeLocation, type StoreLocation } from "../store/location.ts";
import { storeChecks } from "./doctor-store.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";
import { PROBE_FIXES, probeModel } from "./probe.ts";
import { askGateway, findGateway, type RunFile } from "./running.ts";

type Level = "ok" | "warn" | "fail";
export interface Check {
  /** stable id of the check, for --json consumers */
  id: string;
  level: Level;
  what: string;
  fix?: string;
  /** set by --fix: what it changed */
  fixed?: string;
}

export interface DoctorOptions {
  env: NodeJS.ProcessEnv;
  configFlag?: string;
  fix?: boolean;
  /** per model and channel probe; default 20 s */
  probeTimeoutMs?: number;
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  const late = new Promise<T>((_resolve, reject) => {
    setTimeout(() => reject(new Error(`${what} did not answer in ${ms / 1000} s`)), ms).unref();
  });
  return Promise.race([p, late]);
}

/** files holding secrets must not be readable by others; --fix tightens them */
function permissions(checks: Check[], path: string, want: number, kind: string, fix: boolean): void {
  if (!existsSync(path)) return;
  const mode = statSync(path).mode & 0o777;
  if ((mode & ~want & 0o077) === 0) {
    checks.push({ id: `permissions:${kind}`, level: "ok", what: `${kind} ${path} is private (${mode.toString(8)})` });
    return;
  }
  const check: Check = { id: `permissions:${kind}`, level: "warn", what: `${kind} ${path} is readable by others (mode ${mode.toString(8)})`, fix: `chmod ${want.toString(8)} ${path} (or switchboard doctor --fix)` };
  if (fix) {
    chmodSync(path, want);
    check.level = "ok";
    check.fixed = `chmod ${want.toString(8)} ${path}`;
  }
  checks.push(check);
}

function configChecks(checks: Check[], paths: Paths, env: NodeJS.ProcessEnv, fix: boolean): LoadedConfig | undefined {
  // repairs loading would make silently (and a rewrite to the current form) are written back with a backup
  if (existsSync(paths.configFile)) {
    try {
      const { raw, warnings } = readRawConfig(paths.configFile);
      const rewrite = migrateConfig(raw);
      const needed = [...warnings, ...rewrite.changes];
      if (needed.length) {
        const check: Check = { id: "config:repair", level: "warn", what: `${paths.configFile} needs repairs: ${needed.join("; ")}`, fix: "switchboard doctor --fix (keeps a backup), or switchboard migrate" };
        if (fix) {
          const backup = writeConfigFile(paths.configFile, rewrite.raw);
          check.level = "ok";
          check.fixed = `rewrote ${paths.configFile}${backup ? ` (backup: ${backup})` : ""}`;
        }
        checks.push(check);
      }
    } catch {
      // a real syntax error: loadConfig below reports it with the key path and the fix
    }
  }
  try {
    const loaded = loadConfig({ path: paths.configFile, env: { ...env } });
    checks.push(loaded.exists ? { id: "config", level: "ok", what: `config ${paths.configFile}` } : { id: "config", level: "warn", what: `no config at ${paths.configFile}`, fix: "run `switchboard onboard`" });
    for (const w of loaded.warnings) checks.push({ id: "config:warning", level: "warn", what: w });
    return loaded;
  } catch (err) {
    checks.push({ id: "config", level: "fail", what: `config ${paths.configFile} is invalid`, fix: err instanceof ConfigError ? err.message : String(err) });
    return undefined;
  }
}

function workspaceCheck(checks: Check[], dir: string, fix: boolean): void {
  const missing = WORKSPACE_FILES.filter((f) => !existsSync(`${dir}/${f}`));
  if (!missing.length) {
    checks.push({ id: "workspace", level: "ok", what: `workspace ${dir}` });
    return;
  }
  const check: Check = { id: "workspace", level: "warn", what: `workspace ${dir} lacks ${missing.join(", ")}`, fix: "switchboard doctor --fix writes the default files (existing ones are kept)" };
  if (fix) {
    const written = ensureWorkspace(dir);
    check.level = "ok";
    check.fixed = `wrote ${written.join(", ")} in ${dir}`;
  }
  checks.push(check);
}

async function modelChecks(checks: Check[], loaded: LoadedConfig, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<void> {
  const directory = buildModelDirectory(loaded.config, env);
  const { primary, fallbacks } = agentModelSelection(loaded.config, env);
  if (!primary) checks.push({ id: "model", level: "fail", what: "no model configured", fix: "set agents.defaults.model_name to a model_list entry, or run `switchboard onboard`" });
  const entries = new Map<string, ModelEntry>();
  for (const name of [primary, ...fallbacks].filter((n): n is string => !!n)) {
    const found = directory.lookup(name);
    if (found.length === 0) checks.push({ id: `model:${name}`, level: "fail", what: `model "${name}" matches no entry`, fix: "add a model_list entry with that model_name, or the vendor's key under providers" });
    for (const e of found) entries.set(e.id, e);
  }
  await Promise.all(
    [...entries.values()].map(async (e) => {
      if (!e.apiBase) {
        checks.push({ id: `model:${e.id}`, level: "fail", what: `${e.id}: no api_base`, fix: `set model_list api_base for ${e.model}` });
        return;
      }
      const p = await probeModel(e, 0, timeoutMs);
      if (p.ok) checks.push({ id: `model:${e.id}`, level: "ok", what: `${e.id} → ${e.apiBase} answered in ${p.latencyMs} ms` });
      else checks.push({ id: `model:${e.id}`, level: "fail", what: `${e.id} → ${e.apiBase}: ${p.reason}: ${p.message}`, fix: PROBE_FIXES[p.reason ?? ""] ?? "check the entry with `switchboard status --probe`" });
    }),
  );
}

async function channelChecks(checks: Check[], loaded: LoadedConfig, paths: Paths, run: RunFile | undefined, live: ChannelStatus[] | undefined, timeoutMs: number): Promise<void> {
  const enabled = Object.entries(loaded.config.channels as Record<string, (Record<string, unknown> & { enabled?: boolean; allow_from?: unknown[] }) | undefined>).filter(([, c]) => c?.enabled);
  const complete: Record<string, Record<string, unknown> & { enabled?: boolean }> = {};
  for (const [id, c] of enabled) {
    const missing = missingCredentials(id, c!);
    if (missing.length) checks.push({ id: `channel:${id}`, level: "fail", what: `channel ${id} is enabled without ${missing.join(", ")}`, fix: `set channels.${id}.${missing[0]}` });
    else complete[id] = c!;
    if ((c!.allow_from ?? []).length === 0) checks.push({ id: `channel:${id}:allow_from`, level: "warn", what: `channel ${id}: allow_from is empty`, fix: "strangers get a pairing code; approve them with `switchboard pairing approve`, or list their ids in allow_from" });
  }
  if (live) {
    // the running gateway knows best: its channels are connected (or say why not)
    for (const id of Object.keys(complete)) {
      const s = live.find((c) => c.id === id);
      if (s?.state === "online") checks.push({ id: `channel:${id}`, level: "ok", what: `channel ${id} is online in the running gateway` });
      else checks.push({ id: `channel:${id}`, level: "fail", what: `channel ${id} is ${s?.state ?? "not running"} in the gateway at ${run!.url}${s?.lastError ? `: ${s.lastError}` : ""}`, fix: "check its credentials and network; `switchboard logs --level warn` shows the details" });
    }
    return;
  }
  // no gateway: ask each channel's own probe (getMe and the like) with its real credentials
  const adapters = await loadChannels(complete as never, silentLogger(), paths.home);
  await Promise.all(
    adapters.map(async ({ id, adapter }) => {
      // an offline credential check where the channel has one (QQ, Feishu, WhatsApp), else its probe
      const check = adapter.checkCredentials?.bind(adapter) ?? adapter.probe?.bind(adapter);
      if (!check) {
        checks.push({ id: `channel:${id}`, level: "ok", what: `channel ${id} has its credentials (it has no offline check; start the gateway to see it connect)` });
        return;
      }
      try {
        await withTimeout(check(), timeoutMs, `${id}'s check`);
        checks.push({ id: `channel:${id}`, level: "ok", what: `channel ${id}: the platform accepted the credentials` });
      } catch (err) {
        checks.push({ id: `channel:${id}`, level: "fail", what: `channel ${id}: ${(err as Error).message}`, fix: `check channels.${id}'s credentials and network` });
      } finally {
        await adapter.stop().catch(() => undefined);
      }
    }),
  );
}

export async function runDoctor(opts: DoctorOptions): Promise<Check[]> {
  const { env } = opts;
  const fix = opts.fix === true;
  const timeoutMs = opts.probeTimeoutMs ?? 20_000;
  const checks: Check[] = [];
  const major = Number(process.versions.node.split(".")[0]);
  checks.push(major >= 24 ? { id: "node", level: "ok", what: `Node ${process.versions.node} (${process.execPath})` } : { id: "node", level: "fail", what: `Node ${process.versions.node} is too old`, fix: "run through `npm start` or node_modules/node/bin/node (Node 24 comes with the install)" });
  const paths = resolvePaths(env, opts.configFlag);
  permissions(checks, paths.home, 0o700, "state directory", fix);
  const loaded = configChecks(checks, paths, env, fix);
  permissions(checks, paths.configFile, 0o600, "config", fix);
  if (!loaded) {
    permissions(checks, paths.dbFile, 0o600, "database", fix);
    return checks;
  }
  const ws = (loaded.config.agents?.defaults as { workspace?: string } | undefined)?.workspace;
  workspaceCheck(checks, ws ? expandHome(ws) : paths.workspace, fix);

  let location: StoreLocation | undefined;
  try {
    location = storeLocation(loaded.config.store.url, env, paths.home, paths.dbFile);
  } catch (err) {
    const problem = err instanceof ConfigError ? err.problems[0] : undefined;
    checks.push({ id: "store", level: "fail", what: problem ? `${problem.path}: ${problem.message}` : (err as Error).message, fix: problem?.hint ?? "correct store.url or SWITCHBOARD_DATABASE_URL" });
  }
  if (location?.kind === "sqlite") permissions(checks, location.file, 0o600, "database", fix);
  if (location) await storeChecks(checks, location, fix);

  const run = findGateway(paths.home);
  let live: ChannelStatus[] | undefined;
  try {
    const listen = gatewayListen(loaded.config.gateway, env);
    if (!isLoopbackHost(listen.host) && !listen.token) checks.push({ id: "gateway", level: "fail", what: `gateway.host ${listen.host} is not loopback and gateway.token is empty`, fix: "set gateway.token, or bind to 127.0.0.1" });
    if (run) {
      const answer = await askGateway(run, "/status", listen.token);
      if (answer.ok) {
        live = (answer.body as { channels?: ChannelStatus[] }).channels ?? [];
        checks.push({ id: "gateway", level: "ok", what: `gateway running at ${run.url} (pid ${run.pid})` });
      } else checks.push({ id: "gateway", level: "fail", what: answer.error });
    } else {
      const free = await portFree(listen.host, listen.port);
      checks.push(free ? { id: "gateway", level: "ok", what: `gateway not running; port ${listen.host}:${listen.port} is free` } : { id: "gateway", level: "warn", what: `port ${listen.host}:${listen.port} is in use by another program`, fix: "stop it, or change gateway.port" });
    }
  } catch (err) {
    checks.push({ id: "gateway", level: "fail", what: "gateway address", fix: (err as Error).message });
  }

  checks.push(...(await sandboxChecks(loaded.config)));
  await Promise.all([modelChecks(checks, loaded, env, timeoutMs), channelChecks(checks, loaded, paths, run, live, timeoutMs)]);
  return checks;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command("doctor")
    .description("check the setup, probe every model and channel for real, and say what to fix")
    .option("--json", "print the checks as JSON")
    .option("--fix", "repair what is safe: permissions, missing workspace files, config repairs (with a backup); on PostgreSQL: migrate the store schema and create the fleet tables")
    .action(async (flags: { json?: boolean; fix?: boolean }) => {
      const checks = await runDoctor({ env: ctx.io.env, ...(ctx.configPath ? { configFlag: ctx.configPath } : {}), fix: flags.fix === true });
      const failed = checks.some((c) => c.level === "fail");
      if (flags.json) {
        writeLine(ctx.io.stdout, JSON.stringify(redactValue({ ok: !failed, checks }), null, 2));
      } else {
        const mark: Record<Level, string> = { ok: "ok  ", warn: "warn", fail: "FAIL" };
        for (const c of checks) {
          writeLine(ctx.io.stdout, redact(`${mark[c.level]} ${c.what}`));
          if (c.fixed) writeLine(ctx.io.stdout, redact(`     fixed: ${c.fixed}`));
          else if (c.fix && c.level !== "ok") writeLine(ctx.io.stdout, redact(`     fix: ${c.fix.replace(/\n/g, "\n     ")}`));
        }
      }
      if (failed) ctx.exitCode = 1;
    });
}
