// `switchboard status [--probe] [--json]`: every model entry with its
// endpoint, masked key, cooldown and last error (from the router state the
// gateway and `agent` save), plus queues and dead letters from the store.
// --probe sends each endpoint a one-token request.
import { existsSync } from "node:fs";
import type { Command } from "commander";
import { agentModelSelection, buildModelDirectory } from "../config/models.ts";
import { describeModels, type ModelStatus } from "../gateway/model-status.ts";
import { classifyThrown } from "../providers/failure.ts";
import { createClientFactory } from "../providers/protocols/factory.ts";
import { readRouterState, type RouterSnapshot } from "../providers/router/index.ts";
import type { ModelEntry } from "../providers/types.ts";
import { openStore } from "../store/index.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";
import { commandSetup } from "./setup.ts";

interface Probe {
  ok: boolean;
  latencyMs: number;
  reason?: string;
  message?: string;
}

async function probe(entry: ModelEntry, keyIndex: number): Promise<Probe> {
  const client = createClientFactory().clientFor(entry);
  const started = performance.now();
  try {
    await client.chat({ entry: { ...entry, requestTimeoutMs: Math.min(entry.requestTimeoutMs, 20_000) }, apiKey: entry.apiKeys[keyIndex], keyIndex }, { messages: [{ role: "user", content: "ping" }], maxTokens: 1 });
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    const e = classifyThrown(err);
    return { ok: false, latencyMs: Math.round(performance.now() - started), reason: e.reason, message: e.message };
  }
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command("status")
    .description("show model entries, cooldowns, last errors, queues and dead letters")
    .option("--probe", "check each endpoint live with a one-token request")
    .option("--json", "print JSON")
    .action(async (flags: { probe?: boolean; json?: boolean }) => {
      const { loaded, paths } = commandSetup(ctx, { quietWarnings: flags.json === true });
      const directory = buildModelDirectory(loaded.config, ctx.io.env);
      const selection = agentModelSelection(loaded.config, ctx.io.env);
      // the state the gateway (or the last `agent` run) saved: cooldowns and last errors per entry and key
      const saved = readRouterState(paths.routerStateFile);
      const snap: RouterSnapshot | undefined = saved
        ? {
            at: Date.now(),
            groups: {},
            targets: saved.targets.map((t) => ({
              key: `${t.entryId}|${t.keyIndex}`,
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
      const models: (ModelStatus & { probe?: Probe })[] = describeModels(directory, snap);
      if (flags.probe) {
        await Promise.all(
          models.map(async (m) => {
            const entry = directory.all().find((e) => e.id === m.entryId)!;
            m.probe = await probe(entry, m.keyIndex);
          }),
        );
      }
      let queues: { inboundPending: number; outboundPending: number; dead: number } | undefined;
      let dead: unknown[] = [];
      if (existsSync(paths.dbFile)) {
        const store = openStore(paths.dbFile);
        queues = store.delivery.counts();
        dead = store.delivery.deadLetters(10).map((d) => ({ channel: d.channel, chatId: d.chatId, attempts: d.attempts, error: d.lastError, at: new Date(d.createdAt).toISOString() }));
        store.close();
      }
      const report = { config: paths.configFile, configExists: loaded.exists, primary: selection.primary ?? null, fallbacks: selection.fallbacks, models, queues: queues ?? null, dead };
      if (flags.json) {
        writeLine(ctx.io.stdout, JSON.stringify(report, null, 2));
      } else {
        print(ctx, report, models);
      }
      if (flags.probe && models.some((m) => m.probe && !m.probe.ok)) ctx.exitCode = 1;
    });
}

function print(ctx: CliContext, r: { config: string; configExists: boolean; primary: string | null; fallbacks: string[]; queues: { inboundPending: number; outboundPending: number; dead: number } | null; dead: unknown[] }, models: (ModelStatus & { probe?: Probe })[]): void {
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
  if (r.queues) {
    out();
    out(`queues: ${r.queues.inboundPending} inbound pending, ${r.queues.outboundPending} outbound pending, ${r.queues.dead} dead`);
    for (const d of r.dead) out(`  dead: ${JSON.stringify(d)}`);
  }
}
