// How the daemon connects the pipeline to the rest of the gateway: which
// adapter, policy and runtime a message meets, where a reply streams, and
// what a fleet changes. Kept apart from daemon.ts (the composition root's
// order of start and stop) because every option here is read per message or
// per turn, through the getters given, so a reload's new config and runtime
// serve the next message without rebuilding the pipeline.
import { sessionKeyFor } from "../agent/session-key.ts";
import type { LoadedConfig } from "../config/load.ts";
import type { StoreBackend } from "../store/backend.ts";
import type { Logger } from "../core/logger.ts";
import { transcriptionFailureMessage } from "../voice/messages.ts";
import type { ChannelSet } from "./channel-set.ts";
import type { LeasedChannels } from "./fleet-channels.ts";
import type { GatewayFleet } from "./fleet-gateway.ts";
import { LiveReplies } from "./live-replies.ts";
import type { GatewayMetrics } from "./metrics.ts";
import type { Outbox } from "./outbox.ts";
import { Pipeline } from "./pipeline.ts";
import type { RuntimeHolder } from "./runtime-holder.ts";

export interface PipelineWiring {
  store: StoreBackend;
  outbox: Outbox;
  channels: ChannelSet;
  holder: RuntimeHolder;
  metrics: GatewayMetrics;
  logger: Logger;
  /** the config serving now (replaced by a reload) */
  config: () => LoadedConfig["config"];
  /** on PostgreSQL: this gateway's fleet and the channels it holds leases for */
  fleet?: GatewayFleet;
  leased?: LeasedChannels;
}

export function buildGatewayPipeline(w: PipelineWiring): Pipeline {
  const { holder, channels, fleet } = w;
  return new Pipeline({
    store: w.store,
    outbox: w.outbox,
    adapter: (id) => channels.adapter(id),
    policy: (id) => channels.policy(id),
    // an inbound message names its peer itself (channel, account, chat, sender, thread)
    sessionKey: (msg) => sessionKeyFor(msg, w.config().session?.dm_scope ?? "per-channel-peer"),
    runTurn: (input) => w.metrics.timeTurn(input.origin.channel, () => holder.use((rt) => rt.agent.runTurn(input))),
    voice: {
      get echo() {
        return holder.current.transcriber.echo;
      },
      transcribe: (input) => holder.use((rt) => rt.transcriber.transcribe(input)),
      failureMessage: transcriptionFailureMessage,
    },
    noteActiveChat: (channel, chatId, kv) => kv.set("last_active_chat", { channel, chatId }),
    maxTurns: w.config().gateway.max_turns_in_flight,
    // a polling channel stops fetching while every turn slot is taken; socket channels store and go on
    // (in a fleet it stores on: the other gateways take up what waits for a slot here)
    holdReading: (id) => !fleet && channels.holdsReading(id),
    health: w.store.health,
    logger: w.logger,
    sharedStore: w.store.kind === "postgres",
    ...(fleet ? { claims: fleet.sessions, capabilities: (id: string) => w.leased?.configuredAdapter(id)?.capabilities } : {}),
    live: new LiveReplies({
      kv: w.store.kv,
      // in a fleet a reply streams only where its chunks are sent: they edit what was streamed
      adapter: (id) => (!fleet || fleet.outbox.drains(id) ? channels.adapter(id) : undefined),
      // read at every turn: a reload that changes it applies to the next reply
      mode: (id) => ((w.config().channels as Record<string, { streaming?: string } | undefined>)[id]?.streaming === "off" ? "off" : "edit"),
      logger: w.logger,
    }),
  });
}
