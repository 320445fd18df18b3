// The gateway's Prometheus registry (prom-client): the process and Node
// runtime metrics prom-client collects, plus turn, model and send latency
// histograms, provider outcomes per reason, queue depths and channel states.
// Gauges read the daemon's state at scrape time; latencies are observed as
// turns and sends happen (metrics.ts times them), model attempts from the
// router's attempt log. Loaded by metrics.ts after the gateway is ready.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { ChannelState } from "../core/channel.ts";
import type { Attempt } from "../providers/types.ts";
import type { MetricsSource } from "./metrics.ts";

interface StatusShape {
  uptimeSeconds?: number;
  queues?: { inboundPending?: number; outboundPending?: number; dead?: number; runningSessions?: number };
  turns?: number;
  sent?: number;
  channels?: { id: string; state: string; restarts?: number }[];
  models?: { entryId: string; keyIndex: number; cooling: boolean; errorCount: number }[];
}

const STATES: readonly ChannelState[] = ["connecting", "online", "reconnecting", "offline", "stopped"];
// a chat turn takes seconds (model + tools); a send or one model call less
const TURN_BUCKETS = [0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300];
const CALL_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];

export class MetricsRegistry {
  readonly registry = new Registry();
  private readonly src: MetricsSource;
  readonly turnSeconds: Histogram<"channel" | "outcome">;
  readonly sendSeconds: Histogram<"channel" | "outcome">;
  private readonly modelSeconds: Histogram<"entry" | "outcome">;
  private readonly providerRequests: Counter<"provider" | "entry" | "outcome" | "reason">;
  private lastAttempt: string | undefined;
  /** the /status document, read once per scrape (it queries the store) */
  private snapshot: StatusShape = {};

  constructor(src: MetricsSource) {
    this.src = src;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.turnSeconds = new Histogram({ name: "switchboard_turn_duration_seconds", help: "Time from a message's turn starting to the agent's reply (model calls and tools included), per channel.", labelNames: ["channel", "outcome"], buckets: TURN_BUCKETS, registers });
    this.sendSeconds = new Histogram({ name: "switchboard_send_duration_seconds", help: "Time a channel's platform took to accept one outgoing message chunk.", labelNames: ["channel", "outcome"], buckets: CALL_BUCKETS, registers });
    this.modelSeconds = new Histogram({ name: "switchboard_model_request_duration_seconds", help: "Latency of one model request per model_list entry, failures included.", labelNames: ["entry", "outcome"], buckets: CALL_BUCKETS, registers });
    this.providerRequests = new Counter({ name: "switchboard_provider_requests_total", help: "Model requests per provider and entry; outcome ok, or error with the failure reason (rate_limit, auth, timeout, …).", labelNames: ["provider", "entry", "outcome", "reason"], registers });
    const status = () => this.snapshot;
    const gauge = (name: string, help: string, read: (g: Gauge) => void, labelNames: string[] = []) =>
      new Gauge({ name, help, labelNames, registers, collect() { this.reset(); read(this); } });
    gauge("switchboard_up", "1 while the gateway runs.", (g) => g.set(1));
    gauge("switchboard_ready", "1 when every enabled channel is online (the /ready answer).", (g) => g.set(src.readiness().ready ? 1 : 0));
    gauge("switchboard_uptime_seconds", "Seconds since the gateway started.", (g) => g.set(status().uptimeSeconds ?? 0));
    new Counter({ name: "switchboard_inbound_messages_total", help: "Messages the channels handed to the gateway.", registers, collect() { this.reset(); this.inc(src.counters.inbound); } });
    new Counter({ name: "switchboard_turns_total", help: "Agent turns completed since start.", registers, collect() { this.reset(); this.inc(status().turns ?? 0); } });
    gauge("switchboard_inbox_pending", "Inbound messages stored and waiting for their turn.", (g) => g.set(status().queues?.inboundPending ?? 0));
    gauge("switchboard_outbox_pending", "Reply chunks waiting to be sent.", (g) => g.set(status().queues?.outboundPending ?? 0));
    gauge("switchboard_outbox_dead", "Reply chunks given up on (dead letters; see switchboard status).", (g) => g.set(status().queues?.dead ?? 0));
    gauge("switchboard_running_sessions", "Conversations with a turn running now.", (g) => g.set(status().queues?.runningSessions ?? 0));
    gauge("switchboard_channel_online", "1 while the channel is online.", (g) => {
      for (const [id, state] of Object.entries(src.readiness().detail)) if (id !== "store" && id !== "gateway") g.set({ channel: id }, state === "online" ? 1 : 0);
    }, ["channel"]);
    gauge("switchboard_channel_state", "The channel's current state: 1 for the state it is in, 0 for the others.", (g) => {
      for (const c of status().channels ?? []) for (const s of STATES) g.set({ channel: c.id, state: s }, c.state === s ? 1 : 0);
    }, ["channel", "state"]);
    gauge("switchboard_channel_restarts", "Times the supervisor restarted the channel since the gateway started.", (g) => {
      for (const c of status().channels ?? []) g.set({ channel: c.id }, c.restarts ?? 0);
    }, ["channel"]);
    gauge("switchboard_model_cooling_down", "1 while the entry's key is in cooldown after failures.", (g) => {
      for (const m of status().models ?? []) g.set({ entry: m.entryId, key: String(m.keyIndex) }, m.cooling ? 1 : 0);
    }, ["entry", "key"]);
    gauge("switchboard_model_errors", "Consecutive failures of the entry's key.", (g) => {
      for (const m of status().models ?? []) g.set({ entry: m.entryId, key: String(m.keyIndex) }, m.errorCount);
    }, ["entry", "key"]);
  }

  /** model attempts the router made since the last scrape */
  private takeAttempts(): void {
    const all = this.src.attempts?.() ?? [];
    const keyOf = (a: Attempt) => `${a.at}|${a.entryId}|${a.keyIndex}|${a.latencyMs}|${a.ok}|${a.reason ?? ""}`;
    let from = 0;
    if (this.lastAttempt !== undefined) {
      const i = all.map(keyOf).lastIndexOf(this.lastAttempt);
      from = i + 1; // not found (the log wrapped): all of it is new
    }
    for (const a of all.slice(from)) {
      const outcome = a.ok ? "ok" : "error";
      this.modelSeconds.observe({ entry: a.entryId, outcome }, a.latencyMs / 1000);
      this.providerRequests.inc({ provider: this.src.providerOf?.(a.entryId) ?? a.entryId.split("/")[0] ?? "unknown", entry: a.entryId, outcome, reason: a.ok ? "none" : (a.reason ?? "unknown") });
    }
    if (all.length) this.lastAttempt = keyOf(all.at(-1)!);
  }

  /** the exposition text for GET /metrics */
  async render(): Promise<string> {
    this.snapshot = (await this.src.status()) as StatusShape;
    this.takeAttempts();
    return this.registry.metrics();
  }
}
