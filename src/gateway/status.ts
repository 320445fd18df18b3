// The gateway's /status document: channels, model entries with cooldowns and
// last errors, queue depths, dead letters, version and uptime, and how the
// last config reload went.
import { VERSION } from "../cli/version.ts";
import { redactValue } from "../core/redact.ts";
import { describeModels } from "./model-status.ts";
import type { StoreHealthSnapshot } from "../store/health.ts";
import type { FleetStatus } from "../fleet/status.ts";
import type { Pipeline } from "./pipeline.ts";
import type { ReloadOutcome } from "./reload.ts";
import type { Runtime } from "./runtime.ts";
import type { ChannelStatus } from "./supervisor.ts";

export interface StatusInput {
  startedAt: number;
  channels: ChannelStatus[];
  runtime: Runtime;
  pipeline: Pipeline;
  sent?: number;
  lastReload?: ReloadOutcome | undefined;
  /** whether the store takes writes (disk full, read-only …) */
  store?: StoreHealthSnapshot;
  /** when this gateway runs in a fleet (src/fleet): members, channel owners, lease ages */
  fleet?: FleetStatus;
}

export async function buildStatus(i: StatusInput): Promise<Record<string, unknown>> {
  const [queues, deadLetters] = await Promise.all([i.runtime.store.delivery.counts(), i.runtime.store.delivery.deadLetters(20)]);
  const dead = deadLetters.map((d) => ({
    channel: d.channel,
    chatId: d.chatId,
    reply: d.replyId,
    seq: d.seq,
    attempts: d.attempts,
    error: d.lastError,
    createdAt: new Date(d.createdAt).toISOString(),
  }));
  return redactValue({
    version: VERSION,
    uptimeSeconds: Math.round((Date.now() - i.startedAt) / 1000),
    channels: i.channels,
    model: { primary: i.runtime.primary ?? null, fallbacks: i.runtime.fallbacks },
    models: describeModels(i.runtime.directory, i.runtime.router.snapshot()),
    ...(i.store ? { store: { ...i.store, since: new Date(i.store.since).toISOString() } } : {}),
    queues: { ...queues, runningSessions: i.pipeline.runningSessions, waitingSessions: i.pipeline.waitingSessions },
    turns: i.pipeline.turnsRun,
    dead,
    recentAttempts: i.runtime.router.attemptsLog(10),
    lastReload: i.lastReload
      ? { at: i.lastReload.at, trigger: i.lastReload.trigger, result: i.lastReload.result, ...(i.lastReload.reason ? { reason: i.lastReload.reason } : {}), changed: i.lastReload.changed, restartRequired: i.lastReload.restartRequired }
      : null,
    mcp: i.runtime.extensions.mcp.status(),
    ...(i.fleet ? { fleet: i.fleet } : {}),
  });
}
