// `switchboard reload [--json] [--token T]`: asks the running gateway (its
// address is in <home>/state/gateway.json) to reload the config file now,
// and prints what happened: applied (what changed, what waits for a
// restart), nothing changed, or refused (each key path and its fix; the
// gateway keeps serving its running config). Exit 0 applied/unchanged, 78
// refused, 1 when no gateway answers.
//
// The token is the config file's (or SWITCHBOARD_GATEWAY_TOKEN). When the
// edit being applied IS a new token, the gateway still holds the old one and
// answers 401; then the reload is asked for with SIGHUP (same user, same
// machine) and the result read from /status, which the new token opens once
// the reload applied.
import type { Command } from "commander";
import { loadConfig, readRawConfig } from "../config/load.ts";
import { resolvePaths } from "../config/paths.ts";
import { EXIT_CONFIG, SwitchboardError } from "../core/errors.ts";
import type { ReloadOutcome } from "../gateway/reload.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";
import { askGateway, connectUrl, findGateway, type RunFile } from "./running.ts";

interface Flags {
  json?: boolean;
  token?: string;
  timeout: string;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command("reload")
    .description("reload the running gateway's config now and show what changed")
    .option("--json", "print the result as JSON")
    .option("--token <token>", "the gateway's current token, when it differs from the config file's")
    .option("--timeout <seconds>", "how long to wait for the gateway", "30")
    .action(async (flags: Flags) => {
      const paths = resolvePaths(ctx.io.env, ctx.configPath);
      const run = findGateway(paths.home);
      if (!run) throw new SwitchboardError("not_found", `no running gateway found (no live process in ${paths.home}/state/gateway.json): start it with \`switchboard gateway\``);
      const timeoutMs = Math.max(1, Number(flags.timeout) || 30) * 1000;
      const token = flags.token ?? configuredToken(ctx.io.env, paths.configFile);
      const outcome = await ask(run, token, timeoutMs);
      if (flags.json) writeLine(ctx.io.stdout, JSON.stringify(outcome, null, 2));
      else print(ctx, outcome);
      if (outcome.result === "refused") ctx.exitCode = EXIT_CONFIG;
    });
}

/** The token the config file names; a file the gateway would refuse may still carry it. */
function configuredToken(env: NodeJS.ProcessEnv, file: string): string | undefined {
  const fromEnv = env.SWITCHBOARD_GATEWAY_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  try {
    return loadConfig({ path: file, env: { ...env } }).config.gateway.token || undefined;
  } catch {
    try {
      const gw = readRawConfig(file).raw.gateway as { token?: unknown } | undefined;
      return typeof gw?.token === "string" && gw.token && !gw.token.includes("${") ? gw.token : undefined;
    } catch {
      return undefined;
    }
  }
}

async function ask(run: RunFile, token: string | undefined, timeoutMs: number): Promise<ReloadOutcome> {
  const auth: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  let res: Response;
  try {
    res = await fetch(`${connectUrl(run.url)}/reload`, { method: "POST", headers: auth, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new SwitchboardError("not_found", `the gateway at ${run.url} (pid ${run.pid}) does not answer: ${(err as Error).message}. Is it running? Start it with \`switchboard gateway\``);
  }
  if (res.status === 401) return viaSignal(run, token, timeoutMs);
  if (res.status !== 200 && res.status !== 422) throw new SwitchboardError("internal", `the gateway answered ${res.status} to POST /reload: ${(await res.text()).slice(0, 300)}`);
  return (await res.json()) as ReloadOutcome;
}

/** SIGHUP, then the outcome from /status once it shows a reload newer than the signal */
async function viaSignal(run: RunFile, token: string | undefined, timeoutMs: number): Promise<ReloadOutcome> {
  const since = new Date().toISOString();
  try {
    process.kill(run.pid, "SIGHUP");
  } catch (err) {
    throw new SwitchboardError("usage", `the gateway refused the token, and signalling pid ${run.pid} failed (${(err as NodeJS.ErrnoException).code}): pass its current token with --token`);
  }
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 200));
    const answer = await askGateway(run, "/status", token);
    if (!answer.ok || answer.status !== 200) continue; // still the old token: the reload has not applied (yet)
    const body = answer.body as { lastReload?: ReloadOutcome | null };
    if (body.lastReload && body.lastReload.at >= since) return body.lastReload;
  }
  throw new SwitchboardError(
    "usage",
    `the gateway did not accept the config file's token, so the reload was asked for with SIGHUP (pid ${run.pid}); its result could not be read. If the token changed, the new config was likely refused: see the gateway log, or pass the current token with --token`,
  );
}

function print(ctx: CliContext, o: ReloadOutcome): void {
  const out = (s: string) => writeLine(ctx.io.stdout, s);
  if (o.result === "refused") {
    out("reload refused: the gateway keeps serving its running configuration");
    for (const p of o.problems ?? []) out(`  - ${p.path || "(file)"}: ${p.message}${p.hint ? ` (fix: ${p.hint})` : ""}`);
    if (!o.problems?.length && o.reason) out(`  - ${o.reason}`);
    return;
  }
  if (o.result === "unchanged") {
    out("reload: no setting changed");
    return;
  }
  out(`reload applied (${o.changed.length} setting${o.changed.length === 1 ? "" : "s"} changed)`);
  for (const path of o.changed) out(`  ${path}`);
  const ch = o.channels;
  if (ch) {
    const parts = [
      ch.restarted.length ? `restarted ${ch.restarted.join(", ")}` : "",
      ch.started.length ? `started ${ch.started.join(", ")}` : "",
      ch.stopped.length ? `stopped ${ch.stopped.join(", ")}` : "",
      ch.policies.length ? `access rules updated for ${ch.policies.join(", ")}` : "",
    ].filter(Boolean);
    if (parts.length) out(`channels: ${parts.join("; ")}`);
  }
  for (const r of o.restartRequired) out(`needs a restart: ${r}`);
}
