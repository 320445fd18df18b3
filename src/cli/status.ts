// `switchboard status [--probe] [--json] [--ready]`: the running gateway and
// each channel's state, since when, last inbound, last error and restarts
// (asked from the daemon itself); every model entry with its endpoint,
// masked key, cooldown and last error (live from the daemon, else from the
// router state it saved: on PostgreSQL the fleet's shared one), plus queues
// and dead letters from the store the gateways use (store.url /
// SWITCHBOARD_DATABASE_URL, else the SQLite file). On PostgreSQL the fleet
// follows: members, channel owners, lease ages (`--fleet [url]` asks for it
// on another database, or where the store is SQLite).
// --probe sends each endpoint a one-token request; --ready is the container
// health check (exit 0 only while the gateway runs with every channel online).
import type { Command } from "commander";
import { agentModelSelection, buildModelDirectory } from "../config/models.ts";
import { redactValue } from "../core/redact.ts";
import { describeModels, type ModelStatus } from "../gateway/model-status.ts";
import type { RouterSnapshot } from "../providers/router/index.ts";
import { gatewayListen } from "../gateway/listen.ts";
import { fleetLines } from "../fleet/status.ts";
import type { ChannelStatus } from "../gateway/supervisor.ts";
import { writeLine } from "./io.ts";
import { probeModel as probe, type Probe } from "./probe.ts";
import { askGateway, findGateway } from "./running.ts";
import type { CliContext } from "./main.ts";
import { commandSetup } from "./setup.ts";
import { readFleetSection, readStoreSection, type StoreSection } from "./status-store.ts";
import { commandStoreLocation } from "./store-open.ts";

export function register(program: Command, ctx: CliContext): void {
  program
    .command("status")
    .description("show model entries, cooldowns, last errors, queues and dead letters")
    .option("--probe", "check each endpoint live with a one-token request")
    .option("--json", "print JSON")
    .option("--ready", "exit 0 when the running gateway is ready (every channel online), 1 otherwise: for health checks")
    .option("--fleet [url]", "show the fleet on PostgreSQL (default: the store's database, else SWITCHBOARD_DATABASE_URL): members, who owns which channel, lease ages; shown anyway when the store is PostgreSQL")
    .action(async (flags: { probe?: boolean; json?: boolean; ready?: boolean; fleet?: string | boolean }) => {
      const setup = commandSetup(ctx, { quietWarnings: flags.json === true || flags.ready === true });
      const { loaded, paths } = setup;
      const gw = await gatewayReport(paths.home, loaded.config, ctx.io.env);
      if (flags.ready) {
        const ok = gw.running && gw.ready === true;
        writeLine(ok ? ctx.io.stdout : ctx.io.stderr, ok ? `ready: ${gw.url}` : `not ready: ${gw.problem ?? channelLine(gw.channels)}`);
        ctx.exitCode = ok ? 0 : 1;
        return;
      }
      const directory = buildModelDirectory(loaded.config, ctx.io.env);
      const selection = agentModelSelection(loaded.config, ctx.io.env);
      const location = commandStoreLocation(setup, ctx.io.env);
      // the state the gateway (or the last `agent` run) saved: cooldowns and last errors per entry and key
      const { section: store, router: saved } = await readStoreSection(location, paths.routerStateFile);
      const live = gw.models;
      const snap: RouterSnapshot | undefined = saved
        ? {
            at: Date.now(),
            groups: {},
            targets: saved.targets.map((t) => ({
              key: t.key,
              entryId: t.entryId,
              modelName: t.modelName,
              keyIndex: t.keyIndex,
              cooldownUntil: t.cooldownUntil,
              errorCount: t.errorCount,
              lastError: t.lastError,
              lastSuccessAt: t.lastSuccessAt,
              rpm: null,
            })),
          }
        : undefined;
      const models: (ModelStatus & { probe?: Probe })[] = live ?? describeModels(directory, snap);
      if (flags.probe) {
        await Promise.all(
          models.map(async (m) => {
            const entry = directory.all().find((e) => e.id === m.entryId);
            if (entry) m.probe = await probe(entry, m.keyIndex);
          }),
        );
      }
      const { models: _liveModels, ...gateway } = gw;
      const fleet = await readFleetSection(flags.fleet, location, store, ctx.io.env);
      const storeInfo = { kind: store.kind, location: store.location, ...(store.problem ? { error: store.problem.what, fix: store.problem.fix } : {}) };
      const report = redactValue({ gateway, channels: gw.channels, config: paths.configFile, configExists: loaded.exists, primary: selection.primary ?? null, fallbacks: selection.fallbacks, models, store: storeInfo, queues: store.queues, dead: store.dead, ...(fleet ? { fleet: fleet.fleet } : {}) });
      if (flags.json) {
        writeLine(ctx.io.stdout, JSON.stringify(report, null, 2));
      } else {
        printGateway(ctx, redactValue(gw));
        print(ctx, report, report.models, store);
        if (fleet) for (const line of "error" in fleet.fleet ? [`fleet: ${fleet.fleet.error}`] : fleetLines(fleet.fleet)) writeLine(ctx.io.stdout, line);
      }
      if (fleet?.requested && "error" in fleet.fleet) ctx.exitCode = 1;
      if (flags.probe && models.some((m) => m.probe && !m.probe.ok)) ctx.exitCode = 1;
      if (store.problem) ctx.exitCode = store.problem.exitCode;
    });
}

function print(ctx: CliContext, r: { config: string; configExists: boolean; primary: string | null; fallbacks: string[]; queues: { inboundPending: number; outboundPending: number; dead: number } | null; dead: unknown[] }, models: (ModelStatus & { probe?: Probe })[], store: StoreSection): void {
  const out = (s = "") => writeLine(ctx.io.stdout, s);
  out(`config: ${r.config}${r.configExists ? "" : " (not found: embedded defaults; run `switchboard onboard`)"}`);
  out(`model:  ${r.primary ?? "(none configured)"}${r.fallbacks.length ? `  fallbacks: ${r.fallbacks.join(" → ")}` : ""}`);
  out();
  if (models.length === 0) out("no model entries configured");
  for (const m of models) {
    const state = m.cooling ? `cooling until ${m.cooldownUntil}` : m.enabled ? "ready" : "disabled";
    out(`${m.entryId.padEnd(28)} ${m.model}`);
    out(`  endpoint ${m.endpoint} (${m.protocol})  key ${m.keyIndex + 1}: ${m.key}  ${state}`);
    if (m.lastError) out(`  last error ${m.lastError.reason}${m.lastError.status ? ` (${m.lastError.status})` : ""} at ${m.lastError.at}: ${m.lastError.message}`);
    if (m.probe) out(`  probe ${m.probe.ok ? "ok" : `FAILED ${m.probe.reason}`} in ${m.probe.latencyMs} ms${m.probe.message ? `: ${m.probe.message}` : ""}`);
  }
  out();
  if (store.problem) {
    out(`store: ${store.problem.what}`);
    out(`  fix: ${store.problem.fix}`);
  } else out(`store: ${store.kind === "postgres" ? "PostgreSQL" : "SQLite"} ${store.location}${r.queues ? "" : " (not created yet)"}`);
  if (r.queues) {
    out(`queues: ${r.queues.inboundPending} inbound pending, ${r.queues.outboundPending} outbound pending, ${r.queues.dead} dead`);
    for (const d of r.dead) out(`  dead: ${JSON.stringify(d)}`);
  }
}

/** What the running gateway says about itself, or why it cannot say. */
interface GatewayReport {
  running: boolean;
  url?: string;
  pid?: number;
  version?: string;
  uptimeSeconds?: number;
  ready?: boolean;
  problem?: string;
  /** every configured channel; from the daemon when it runs */
  channels: (Partial<Omit<ChannelStatus, "state">> & { id: string; state: string })[];
  models?: ModelStatus[];
  /** whether the gateway's database takes writes (disk full, read-only …) */
  store?: { state: string; since: string; detail?: string; failedWrites: number };
}

async function gatewayReport(home: string, config: { gateway?: unknown; channels?: unknown }, env: NodeJS.ProcessEnv): Promise<GatewayReport> {
  const configured = Object.entries((config.channels ?? {}) as Record<string, { enabled?: boolean } | undefined>)
    .filter(([, c]) => c?.enabled)
    .map(([id]) => ({ id, state: "not running" }));
  const run = findGateway(home);
  if (!run) return { running: false, problem: "the gateway is not running (start it: switchboard gateway, or systemctl start switchboard)", channels: configured };
  let token: string | undefined;
  try {
    token = gatewayListen(config.gateway as never, env).token;
  } catch {
    token = undefined;
  }
  const [status, ready] = await Promise.all([askGateway(run, "/status", token), askGateway(run, "/ready", undefined)]);
  if (!status.ok) return { running: true, url: run.url, pid: run.pid, problem: status.error, channels: configured };
  const s = status.body as { version?: string; uptimeSeconds?: number; channels?: ChannelStatus[]; models?: ModelStatus[]; store?: GatewayReport["store"] };
  const channels = s.channels ?? [];
  return {
    running: true,
    url: run.url,
    pid: run.pid,
    ...(s.version ? { version: s.version } : {}),
    ...(s.uptimeSeconds !== undefined ? { uptimeSeconds: s.uptimeSeconds } : {}),
    ready: ready.ok && ready.status === 200,
    channels: channels.map((c) => ({ ...c })),
    ...(s.models ? { models: s.models } : {}),
    ...(s.store ? { store: s.store } : {}),
  };
}

function ago(ms: number | undefined, now = Date.now()): string {
  if (!ms) return "never";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

function channelLine(channels: GatewayReport["channels"]): string {
  const down = channels.filter((c) => c.state !== "online");
  return down.length ? down.map((c) => `${c.id} ${c.state}${c.lastError ? ` (${c.lastError})` : ""}`).join("; ") : "no channels";
}

function printGateway(ctx: CliContext, g: GatewayReport): void {
  const out = (s = "") => writeLine(ctx.io.stdout, s);
  if (g.running && !g.problem) out(`gateway: running at ${g.url} (pid ${g.pid}${g.version ? `, version ${g.version}` : ""}${g.uptimeSeconds !== undefined ? `, up ${g.uptimeSeconds} s` : ""})${g.ready ? ", ready" : ", NOT READY"}`);
  else out(`gateway: ${g.problem}`);
  if (g.store && g.store.state !== "ok") out(`store: ${g.store.state.toUpperCase()} since ${g.store.since}: ${g.store.detail ?? ""}`);
  if (g.channels.length === 0) out("channels: none enabled (switchboard channels list)");
  for (const c of g.channels) {
    out(`channel ${c.id.padEnd(10)} ${c.state}${c.since ? ` since ${ago(c.since)}` : ""}${c.detail ? ` (${c.detail})` : ""}`);
    if (c.since !== undefined) out(`  last inbound ${ago(c.lastInboundAt)}, restarts ${c.restarts ?? 0}${c.lastError ? `, last error: ${c.lastError}` : ""}`);
  }
  out();
}
