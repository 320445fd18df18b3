// /metrics as a Prometheus server reads it: parsed by a third-party parser
// (parse-prometheus-text-format), with HELP texts, process/Node metrics and
// the gateway's histograms, counters and gauges filled by real traffic.
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDaemon, waitFor, writeConfig, type RunningDaemon } from "../e2e/daemon.ts";
import { startFakeLlm, type FakeLlm } from "../fakes/fake-llm.ts";
import { FakeTelegramApi } from "../fakes/telegram-api.ts";

interface Sample {
  value?: string;
  labels?: Record<string, string>;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}
interface Family {
  name: string;
  help: string;
  type: string;
  metrics: Sample[];
}
// the parser ships CommonJS without type declarations
const parse = createRequire(import.meta.url)("parse-prometheus-text-format") as (text: string) => Family[];

let llm: FakeLlm;
let tg: FakeTelegramApi;
let home: string;
let daemon: RunningDaemon;
const TOKEN = "metrics-token-123";

beforeAll(async () => {
  llm = await startFakeLlm();
  tg = await FakeTelegramApi.start();
  home = mkdtempSync(join(tmpdir(), "sb-metrics-"));
  writeConfig(home, {
    model_list: [
      { model_name: "main", model: "openai/main-model", api_base: `${llm.url}/v1`, api_key: "sk-main-1234567890" },
      { model_name: "backup", model: "openai/backup-model", api_base: `${llm.url}/v1`, api_key: "sk-backup-1234567890" },
    ],
    agents: { defaults: { model_name: "main", fallbacks: ["backup"] } },
    gateway: { token: TOKEN },
    channels: { telegram: { enabled: true, token: tg.token, api_base: tg.url, allow_from: ["1001"] } },
  });
  llm.setDefault(() => ({ reply: "pong" }));
  daemon = await startDaemon(home);
  await waitFor(async () => (await fetch(`${daemon.url}/ready`)).status === 200 || undefined, "/ready", 15_000);
});
afterAll(async () => {
  await daemon?.stop();
  await Promise.all([llm.close(), tg.close()]);
  rmSync(home, { recursive: true, force: true });
});

let lastText = "";
async function scrape(): Promise<Map<string, Family>> {
  const res = await fetch(`${daemon.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  lastText = await res.text();
  return new Map(parse(lastText).map((f) => [f.name, f]));
}

const find = (f: Family | undefined, labels: Record<string, string>) => f?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));

/**
 * One labelled series of a histogram. The parser folds a histogram's series
 * into one sample (it reads unlabelled histograms only), so it is handed the
 * family's lines for one label set, with those labels taken off.
 */
function histogram(name: string, labels: Record<string, string>): Sample | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const lines = lastText.split("\n").filter((l) => l.startsWith(`# HELP ${name} `) || l.startsWith(`# TYPE ${name} `) || (l.startsWith(name) && want.every((w) => l.includes(w))));
  const stripped = lines.map((l) => l.startsWith("#") ? l : l.replace(/\{([^}]*)\}/, (_m, inner: string) => {
    const kept = inner.split(",").filter((p) => p.startsWith("le="));
    return kept.length ? `{${kept.join(",")}}` : "";
  }));
  if (stripped.length <= 2) return undefined;
  return parse(`${stripped.join("\n")}\n`)[0]?.metrics[0];
}

/** entries of a histogram family with their label sets, from the raw text */
function seriesOf(name: string): Record<string, string>[] {
  const out = new Map<string, Record<string, string>>();
  for (const l of lastText.split("\n")) {
    const m = new RegExp(`^${name}_count\\{([^}]*)\\}`).exec(l);
    if (m) out.set(m[1]!, Object.fromEntries(m[1]!.split(",").map((p) => { const [k, v] = p.split("="); return [k!, v!.replace(/"/g, "")]; })));
  }
  return [...out.values()];
}

describe("GET /metrics", () => {
  it("parses, and every family has a HELP text; process and Node metrics are there", async () => {
    const families = await scrape();
    for (const f of families.values()) expect(f.help, f.name).toBeTruthy();
    for (const name of ["process_cpu_user_seconds_total", "process_resident_memory_bytes", "nodejs_eventloop_lag_seconds", "nodejs_heap_size_used_bytes", "switchboard_up"]) expect(families.has(name), name).toBe(true);
    expect(find(families.get("switchboard_channel_state"), { channel: "telegram", state: "online" })?.value).toBe("1");
    expect(find(families.get("switchboard_channel_state"), { channel: "telegram", state: "offline" })?.value).toBe("0");
    expect(find(families.get("switchboard_channel_online"), { channel: "telegram" })?.value).toBe("1");
    expect(families.get("switchboard_ready")!.metrics[0]!.value).toBe("1");
  });

  it("counts a turn, its model request and its send in histograms, and provider failures by reason", async () => {
    llm.script({ status: 429 }); // the primary is rate limited once: the fallback answers
    tg.userMessage({ chatId: 1001, fromId: 1001, text: "ping" });
    await waitFor(() => tg.sent.length > 0 || undefined, "the reply");
    // the send is timed when the platform answers; the chunk stops counting as pending when its "sent" mark
    // commits, a moment later (after the drain's page): a scrape in between sees it still pending
    const families = await waitFor(async () => {
      const f = await scrape();
      const sendObserved = Number(histogram("switchboard_send_duration_seconds", { channel: "telegram", outcome: "ok" })?.count ?? 0) >= 1;
      return sendObserved && f.get("switchboard_outbox_pending")?.metrics[0]?.value === "0" ? f : undefined;
    }, "the send observed and marked");

    const turn = histogram("switchboard_turn_duration_seconds", { channel: "telegram", outcome: "ok" })!;
    expect(families.get("switchboard_turn_duration_seconds")!.type).toBe("HISTOGRAM");
    expect(turn.count).toBe("1");
    expect(Number(turn.sum)).toBeGreaterThan(0);
    expect(turn.buckets!["+Inf"]).toBe("1");

    expect(families.get("switchboard_model_request_duration_seconds")!.type).toBe("HISTOGRAM");
    const models = seriesOf("switchboard_model_request_duration_seconds").map((l) => [l.entry, l.outcome, histogram("switchboard_model_request_duration_seconds", l)!.count]);
    expect(models.sort()).toEqual([["backup#0", "ok", "1"], ["main#0", "error", "1"]]);

    const providers = families.get("switchboard_provider_requests_total")!;
    expect(providers.type).toBe("COUNTER");
    expect(find(providers, { provider: "openai", outcome: "error", reason: "rate_limit" })?.value).toBe("1");
    expect(find(providers, { provider: "openai", outcome: "ok" })?.value).toBe("1");

    expect(Number(families.get("switchboard_inbound_messages_total")!.metrics[0]!.value)).toBe(1);
    expect(families.get("switchboard_inbox_pending")!.metrics[0]!.value).toBe("0");
    expect(families.get("switchboard_outbox_pending")!.metrics[0]!.value).toBe("0");

    // a second scrape does not count the same attempts again
    const again = await scrape();
    expect(find(again.get("switchboard_provider_requests_total"), { provider: "openai", outcome: "ok" })?.value).toBe("1");
  });
});

describe("config/grafana-dashboard.json and config/alerts.yaml", () => {
  it("only query metrics the gateway exports", async () => {
    await scrape();
    const { readFileSync } = await import("node:fs");
    const { parse: parseYaml } = await import("yaml");
    const root = join(import.meta.dirname, "../..");
    const dashboard = JSON.parse(readFileSync(join(root, "config/grafana-dashboard.json"), "utf8")) as { panels: { targets: { expr: string }[] }[] };
    const alerts = parseYaml(readFileSync(join(root, "config/alerts.yaml"), "utf8")) as { groups: { rules: { alert: string; expr: string }[] }[] };
    const exprs = [...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)), ...alerts.groups.flatMap((g) => g.rules.map((r) => r.expr))];
    expect(alerts.groups[0]!.rules.length).toBeGreaterThanOrEqual(5);
    const names = new Set(exprs.flatMap((e) => e.match(/\b(switchboard|process|nodejs)_[a-z0-9_]+/g) ?? []));
    expect(names.size).toBeGreaterThan(10);
    for (const n of names) expect(lastText, n).toMatch(new RegExp(`^${n}[{ ]`, "m"));
  });
});
