// Prometheus text exposition of the gateway's counters and gauges.
export interface Counters {
  inbound: number;
  duplicates: number;
}

export interface MetricsSource {
  counters: Counters;
  readiness(): { ready: boolean; detail: Record<string, string> };
  status(): unknown;
}

interface StatusShape {
  uptimeSeconds?: number;
  queues?: { inboundPending?: number; outboundPending?: number; dead?: number; runningSessions?: number };
  turns?: number;
  sent?: number;
  models?: { entryId: string; keyIndex: number; cooling: boolean; errorCount: number }[];
}

function line(name: string, value: number, labels?: Record<string, string | number>): string {
  const l = labels ? `{${Object.entries(labels).map(([k, v]) => `${k}="${String(v).replace(/["\\\n]/g, "_")}"`).join(",")}}` : "";
  return `${name}${l} ${Number.isFinite(value) ? value : 0}`;
}

export function renderMetrics(src: MetricsSource): string {
  const s = src.status() as StatusShape;
  const r = src.readiness();
  const out: string[] = [
    "# HELP switchboard_up 1 while the gateway runs.",
    "# TYPE switchboard_up gauge",
    line("switchboard_up", 1),
    "# TYPE switchboard_ready gauge",
    line("switchboard_ready", r.ready ? 1 : 0),
    "# TYPE switchboard_uptime_seconds gauge",
    line("switchboard_uptime_seconds", s.uptimeSeconds ?? 0),
    "# HELP switchboard_inbound_messages_total Messages channels handed to the gateway.",
    "# TYPE switchboard_inbound_messages_total counter",
    line("switchboard_inbound_messages_total", src.counters.inbound),
    "# TYPE switchboard_turns_total counter",
    line("switchboard_turns_total", s.turns ?? 0),
    "# TYPE switchboard_chunks_sent_total counter",
    line("switchboard_chunks_sent_total", s.sent ?? 0),
    "# TYPE switchboard_inbox_pending gauge",
    line("switchboard_inbox_pending", s.queues?.inboundPending ?? 0),
    "# TYPE switchboard_outbox_pending gauge",
    line("switchboard_outbox_pending", s.queues?.outboundPending ?? 0),
    "# TYPE switchboard_outbox_dead gauge",
    line("switchboard_outbox_dead", s.queues?.dead ?? 0),
    "# TYPE switchboard_channel_online gauge",
  ];
  for (const [id, state] of Object.entries(r.detail)) {
    if (id === "store" || id === "gateway") continue;
    out.push(line("switchboard_channel_online", state === "online" ? 1 : 0, { channel: id }));
  }
  out.push("# TYPE switchboard_model_cooling_down gauge");
  for (const m of s.models ?? []) out.push(line("switchboard_model_cooling_down", m.cooling ? 1 : 0, { entry: m.entryId, key: m.keyIndex }));
  out.push("# TYPE switchboard_model_errors gauge");
  for (const m of s.models ?? []) out.push(line("switchboard_model_errors", m.errorCount, { entry: m.entryId, key: m.keyIndex }));
  return `${out.join("\n")}\n`;
}
