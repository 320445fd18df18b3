// A reload, first half: read the file, validate the new config, and build
// everything the gateway would run with it (router and model entries, tools,
// voice, the heartbeat, the token, each changed channel's adapter) without
// touching what runs now. Anything wrong, an empty or a missing file
// included, is a refusal naming the key path and the fix; nothing built for
// a refused config survives. The daemon swaps a prepared reload in whole.
// The channels a gateway starts with go through the same adapter checks
// (loadStartChannels), a failure there being a config error at start.
import { loadConfig, type LoadedConfig } from "../config/load.ts";
import { ConfigError, type ConfigProblem, errorMessage } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import type { Heartbeat } from "../scheduler/heartbeat.ts";
import { isLoopbackHost } from "../http/server.ts";
import { channelPolicy } from "./access.ts";
import type { ChannelPlan } from "./channel-set.ts";
import { loadChannels, missingCredentials, type ChannelsConfig, type LoadedChannel } from "./channels.ts";
import { changedPaths, restartOnly, stableJson } from "./config-diff.ts";
import { readConfigSnapshot } from "./config-watch.ts";
import { gatewayListen } from "./listen.ts";
import type { Runtime } from "./runtime.ts";

export type ReloadTrigger = "file" | "signal" | "request";

/** What `switchboard reload`, POST /reload, the log and /status report. */
export interface ReloadOutcome {
  result: "applied" | "refused" | "unchanged";
  trigger: ReloadTrigger;
  at: string;
  /** refused: every problem, each with its key path and fix, in one line */
  reason?: string;
  problems?: ConfigProblem[];
  /** key paths whose values changed (applied, or what a refused config would have changed) */
  changed: string[];
  /** changes that wait for a restart, e.g. "gateway.port changed: restart to apply" */
  restartRequired: string[];
  channels?: { started: string[]; restarted: string[]; stopped: string[]; policies: string[] };
}

export interface Listen {
  host: string;
  port: number;
  token?: string;
}

export interface PrepareInput {
  file: string;
  env: NodeJS.ProcessEnv;
  loaded: LoadedConfig;
  listen: Listen;
  workspaceDir: string;
  runningChannels: ReadonlySet<string>;
  /** webhook paths the HTTP server has routes for */
  mountedWebhooks: ReadonlySet<string>;
  logger: Logger;
  buildRuntime: (loaded: LoadedConfig) => Runtime;
  buildHeartbeat: (loaded: LoadedConfig, workspaceDir: string) => Heartbeat;
  /** builds one channel's adapter (not started); undefined when this version has no such channel */
  loadChannel: (id: string, cfg: ChannelsConfig[string] & object) => Promise<LoadedChannel | undefined>;
}

export interface PreparedReload {
  hash: string;
  loaded: LoadedConfig;
  listen: Listen;
  runtime: Runtime;
  /** set when heartbeat settings or the workspace changed */
  heartbeat: Heartbeat | undefined;
  channels: ChannelPlan;
  changed: string[];
  restartRequired: string[];
}

export type Preparation =
  | { kind: "ready"; prepared: PreparedReload }
  | { kind: "unchanged"; hash: string }
  | { kind: "refused"; hash: string; problems: ConfigProblem[]; changed: string[] };

/** The gateway's own keys in a channel's config (streaming is read at every turn); changing only these needs no reconnect. */
const POLICY_KEYS = new Set(["enabled", "allow_from", "group_trigger", "streaming"]);

function adapterKey(cfg: Record<string, unknown> | undefined): string | undefined {
  if (!cfg?.enabled) return undefined;
  return stableJson(Object.fromEntries(Object.entries(cfg).filter(([k]) => !POLICY_KEYS.has(k))));
}


/** An error as config problems: a ConfigError's own, or one naming the key it is about. */
export function problemsOf(err: unknown, path: string): ConfigProblem[] {
  if (err instanceof ConfigError) return err.problems;
  const text = errorMessage(err);
  // adapters name the key themselves ("channels.whatsapp.bridge_url must be ..."): lift it into the path
  const named = /^((?:channels|heartbeat|tools|voice|agents|gateway)\.[\w.[\]-]+):?\s+(.+)$/s.exec(text);
  if (named && named[1]!.startsWith(path === "(runtime)" ? "" : path)) return [{ path: named[1]!, message: named[2]! }];
  return [{ path, message: text }];
}

/** The channels a gateway starts with; an adapter's own check failing is a config error (exit 78), as on reload. */
export async function loadStartChannels(loaded: LoadedConfig, logger: Logger, stateDir: string): Promise<LoadedChannel[]> {
  const out: LoadedChannel[] = [];
  for (const [id, cfg] of Object.entries((loaded.config.channels ?? {}) as ChannelsConfig)) {
    if (!cfg?.enabled) continue;
    try {
      out.push(...(await loadChannels({ [id]: cfg }, logger, stateDir)));
    } catch (err) {
      throw new ConfigError(problemsOf(err, `channels.${id}`), loaded.file);
    }
  }
  return out;
}

export function describeProblems(problems: readonly ConfigProblem[]): string {
  return problems.map((p) => `${p.path || "(file)"}: ${p.message}${p.hint ? ` (fix: ${p.hint})` : ""}`).join("; ");
}

export async function prepareReload(i: PrepareInput): Promise<Preparation> {
  const snap = readConfigSnapshot(i.file);
  const refuse = (problems: ConfigProblem[], changed: string[] = []): Preparation => ({ kind: "refused", hash: snap.hash, problems, changed });
  if (snap.state === "missing") {
    if (!i.loaded.exists) return { kind: "unchanged", hash: snap.hash };
    return refuse([{ path: "", message: `${i.file} does not exist (deleted, or a save is still under way)`, hint: "write the config file again; the running configuration keeps serving until then" }]);
  }
  if (snap.state === "unreadable") {
    return refuse([{ path: "", message: `cannot read ${i.file}: ${snap.error}`, hint: "make the file readable by the user running switchboard" }]);
  }
  if (snap.text.trim() === "") {
    return refuse([{ path: "", message: `${i.file} is empty`, hint: "write the config back (an empty file would stop every channel); the running configuration keeps serving" }]);
  }

  let loaded: LoadedConfig;
  try {
    // exactly what a start reads ($include, .security.yml, other gateways' forms); a save that lands
    // between the look above and this read is picked up by the watcher's next event
    loaded = loadConfig({ path: i.file, env: i.env, required: true });
  } catch (err) {
    return refuse(problemsOf(err, ""));
  }
  const changed = changedPaths(i.loaded.config, loaded.config);
  if (changed.length === 0) return { kind: "unchanged", hash: snap.hash };

  const problems: ConfigProblem[] = [];
  const restartRequired = restartOnly(changed).map((p) => `${p} changed: restart to apply (the gateway keeps listening on ${i.listen.host}:${i.listen.port})`);
  let token: string | undefined;
  try {
    token = gatewayListen(loaded.config.gateway, i.env).token;
  } catch (err) {
    problems.push({ path: "gateway", message: errorMessage(err) });
  }
  if (!token && !isLoopbackHost(i.listen.host)) {
    problems.push({ path: "gateway.token", message: `is required while the gateway listens on ${i.listen.host}`, hint: "set gateway.token (or SWITCHBOARD_GATEWAY_TOKEN), or bind to 127.0.0.1 and restart" });
  }
  const listen: Listen = { host: i.listen.host, port: i.listen.port, ...(token ? { token } : {}) };

  const built: { runtime?: Runtime; heartbeat?: Heartbeat; channels: LoadedChannel[] } = { channels: [] };
  const discard = async () => {
    await Promise.allSettled(built.channels.map((c) => c.adapter.stop()));
    await built.runtime?.close();
  };
  try {
    built.runtime = i.buildRuntime(loaded);
  } catch (err) {
    problems.push(...problemsOf(err, "(runtime)"));
  }
  if (built.runtime && (changed.some((p) => p === "heartbeat" || p.startsWith("heartbeat.")) || built.runtime.workspaceDir !== i.workspaceDir)) {
    try {
      built.heartbeat = i.buildHeartbeat(loaded, built.runtime.workspaceDir);
    } catch (err) {
      problems.push(...problemsOf(err, "heartbeat"));
    }
  }

  const plan: ChannelPlan = { start: [], stop: [], policies: new Map() };
  const before = (i.loaded.config.channels ?? {}) as ChannelsConfig;
  const after = (loaded.config.channels ?? {}) as ChannelsConfig;
  for (const id of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const cfg = after[id];
    const running = i.runningChannels.has(id);
    if (!cfg?.enabled) {
      if (running) plan.stop.push(id);
      continue;
    }
    if (adapterKey(cfg) === adapterKey(before[id])) {
      // same adapter settings: a running channel keeps its connection; one that stayed off at start stays off
      if (running && stableJson(channelPolicy(cfg)) !== stableJson(channelPolicy(before[id] ?? {}))) plan.policies.set(id, channelPolicy(cfg));
      continue;
    }
    const missing = missingCredentials(id, cfg);
    if (missing.length) {
      for (const key of missing) problems.push({ path: `channels.${id}.${key}`, message: "is empty", hint: `set it, or set channels.${id}.enabled to false` });
      continue;
    }
    try {
      const ch = await i.loadChannel(id, cfg);
      if (!ch) continue;
      built.channels.push(ch);
      plan.start.push(ch);
      const route = ch.definition.webhook;
      if (route && !i.mountedWebhooks.has(route.path)) restartRequired.push(`channels.${id} takes webhooks at ${route.path}: restart to add the route`);
    } catch (err) {
      problems.push(...problemsOf(err, `channels.${id}`));
    }
  }

  if (problems.length > 0 || !built.runtime) {
    await discard();
    return refuse(problems, changed);
  }
  return { kind: "ready", prepared: { hash: snap.hash, loaded, listen, runtime: built.runtime, heartbeat: built.heartbeat, channels: plan, changed, restartRequired } };
}
