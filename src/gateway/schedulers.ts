// What runs without anyone writing: the heartbeat (built per config, so a
// reload can replace it) and the cron service (one for the life of the
// daemon, reading the live config at each run). Both speak through the same
// outbox as replies (queueText).
import { newReplyId } from "../store/reply-id.ts";
import { systemClock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import { currentToolCallKey } from "../agent/tool-journal.ts";
import type { LoadedConfig } from "../config/load.ts";
import { CronService } from "../scheduler/cron-service.ts";
import { Heartbeat } from "../scheduler/heartbeat.ts";
import type { StoreBackend } from "../store/backend.ts";
import type { ChannelSet } from "./channel-set.ts";
import { chunkText } from "./chunk.ts";
import type { FleetHooks } from "./fleet-hooks.ts";
import type { Outbox } from "./outbox.ts";
import type { RuntimeHolder } from "./runtime-holder.ts";

export type SendText = (channel: string, chatId: string, text: string) => Promise<void>;

/** Text from tools, cron and heartbeat: chunked for the channel and queued in the outbox like a reply. */
export async function queueText(deps: { store: Pick<StoreBackend, "delivery">; channels: Pick<ChannelSet, "adapter">; outbox: Outbox }, channel: string, chatId: string, text: string): Promise<void> {
  const adapter = deps.channels.adapter(channel);
  if (!adapter) throw new Error(`channel ${channel} is not running`);
  // a `message` tool call queues under its journal key: re-run after a crash, it is not queued again
  const toolCall = currentToolCallKey();
  if (toolCall && (await deps.store.delivery.hasReply(`tool:${toolCall}`))) return;
  await deps.store.delivery.enqueueReply({
    channel,
    chatId,
    replyId: toolCall ? `tool:${toolCall}` : newReplyId(), // time-ordered, as a turn's reply (store/reply-id.ts)
    chunks: chunkText(text, adapter.capabilities.maxTextLength).map((t) => ({ text: t, format: "markdown" })),
    answers: [],
    now: Date.now(),
  });
  deps.outbox.kick(channel);
}

export interface SchedulerDeps {
  holder: RuntimeHolder;
  store: StoreBackend;
  logger: Logger;
  send: SendText;
  /** a fleet's gates (fleet-hooks.ts): the heartbeat beats on one gateway, a cron run fires on one; absent on a lone gateway */
  fleet?: Pick<FleetHooks, "cron" | "heartbeat">;
}

export function buildHeartbeat(deps: SchedulerDeps & { isAllowed: (channel: string) => boolean }, loaded: LoadedConfig, workspaceDir: string): Heartbeat {
  const hb = loaded.config.heartbeat ?? {};
  return new Heartbeat({
    enabled: hb.enabled === true,
    ...(hb.interval !== undefined ? { intervalMinutes: hb.interval } : {}),
    ...(hb.active_hours ? { activeHours: hb.active_hours } : {}),
    workspaceDir,
    clock: systemClock,
    logger: deps.logger,
    runTurn: (turn) => deps.holder.use(async (rt) => (await rt.agent.runTurn(turn)).text),
    lastActiveChat: () => deps.store.kv.get<{ channel: string; chatId: string }>("last_active_chat"),
    isAllowed: (chat) => deps.isAllowed(chat.channel),
    send: deps.send,
    sessions: deps.store.sessions,
    ...(deps.fleet ? { leads: deps.fleet.heartbeat.leads } : {}),
  });
}

export function buildCronService(deps: SchedulerDeps & { config: () => LoadedConfig }): CronService {
  const { holder, config } = deps;
  return new CronService({
    store: deps.store.cron,
    clock: systemClock,
    logger: deps.logger,
    // read at each run, so a reload's tools.cron settings and workspace apply to the next job
    get execTimeoutMinutes() {
      return config().config.tools.cron?.exec_timeout_minutes ?? 5;
    },
    get shellCwd() {
      return holder.current.workspaceDir;
    },
    send: deps.send,
    ...(deps.fleet ? { claimFire: deps.fleet.cron.claimFire } : {}),
    deliverTurn: (job, signal, text) =>
      holder.use(async (rt) => {
        const result = await rt.agent.runTurn({
          origin: { sessionKey: job.origin.sessionKey ?? `cron:${job.id}`, channel: job.origin.channel, chatId: job.origin.chatId, ...(job.origin.senderId ? { senderId: job.origin.senderId } : {}) },
          text,
          signal,
        });
        return result.text;
      }),
  });
}
