// A fleet of real gateway daemons (`switchboard gateway`, each with its own
// home and config) on one PostgreSQL database, one fake Telegram bot and one
// fake model: the setting of issue 17's end-to-end proof, shared by
// test/fleet-e2e and bench/fleet-*.ts. Each gateway reaches the bot through
// its own door (poll-watch.ts) and the model with its own key
// (model-ledger.ts), so every poll and every model call is known by gateway.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDaemon, waitFor, writeConfig, type RunningDaemon } from "../e2e/daemon.ts";
import { count, mentions, type ChaosFigures } from "../chaos/harness.ts";
import { startFakeLlm, type FakeLlm } from "../fakes/fake-llm.ts";
import { FakeTelegramApi } from "../fakes/telegram-api.ts";
import { apiKeyOf, ModelLedger } from "./model-ledger.ts";
import { PollWatch } from "./poll-watch.ts";

/** person k writes from (and is answered in) chat FIRST_CHAT + k, far from the fake bot's own id */
export const FIRST_CHAT = 5000;

export interface GatewaySpec {
  name: string;
  /** postgres:// URL (store.url); undefined: the embedded SQLite store in the gateway's home */
  storeUrl: string | undefined;
  telegramBase: string;
  token: string;
  llmUrl: string;
  /** extra environment for the daemon (log level, NODE_OPTIONS …) */
  env?: NodeJS.ProcessEnv;
}

export interface Gateway {
  name: string;
  home: string;
  daemon: RunningDaemon;
  alive: boolean;
  /** the daemon's environment (a restart uses it again) */
  env: NodeJS.ProcessEnv;
}

/** The config one gateway of a fleet runs with: its own model key, the shared bot, the shared database. */
export function gatewayConfig(s: Omit<GatewaySpec, "env">): Record<string, unknown> {
  return {
    model_list: [{ model_name: "main", model: "openai/main-model", api_base: `${s.llmUrl}/v1`, api_key: apiKeyOf(s.name) }],
    agents: { defaults: { model_name: "main" } },
    channels: { telegram: { enabled: true, token: s.token, api_base: s.telegramBase, allow_from: ["*"] } },
    ...(s.storeUrl ? { store: { url: s.storeUrl } } : {}),
  };
}

/** Writes the gateway's config into a fresh home and starts the daemon there. */
export async function startGateway(s: GatewaySpec): Promise<Gateway> {
  const home = mkdtempSync(join(tmpdir(), `sb-fleet-${s.name}-`));
  writeConfig(home, gatewayConfig(s));
  const env = { SWITCHBOARD_LOG_LEVEL: "warn", ...s.env };
  try {
    const daemon = await startDaemon(home, env);
    return { name: s.name, home, daemon, alive: true, env };
  } catch (err) {
    rmSync(home, { recursive: true, force: true });
    throw err;
  }
}

export interface RigOptions {
  /** gateway names, e.g. ["g1", "g2", "g3"] */
  gateways: string[];
  /** the shared database; undefined: one gateway on its embedded SQLite store (the bench's comparison) */
  storeUrl: string | undefined;
  /** the model answers after 0..this many ms */
  maxModelDelayMs: number;
  /** extra environment for every daemon */
  env?: NodeJS.ProcessEnv;
}

export class FleetRig {
  readonly gateways = new Map<string, Gateway>();
  readonly written: string[] = [];
  readonly llm: FakeLlm;
  readonly tg: FakeTelegramApi;
  readonly watch: PollWatch;
  readonly ledger: ModelLedger;
  private readonly o: RigOptions;

  private constructor(o: RigOptions, llm: FakeLlm, tg: FakeTelegramApi) {
    this.o = o;
    this.llm = llm;
    this.tg = tg;
    this.watch = new PollWatch(tg.url);
    this.ledger = new ModelLedger(llm, o.maxModelDelayMs);
  }

  /** Starts the fakes and every gateway at once (they race for the channel, the migrations and due cron jobs). */
  static async start(o: RigOptions): Promise<FleetRig> {
    const [llm, tg] = await Promise.all([startFakeLlm(), FakeTelegramApi.start()]);
    const rig = new FleetRig(o, llm, tg);
    try {
      const doors = await Promise.all(o.gateways.map((g) => rig.watch.door(g)));
      const started = await Promise.allSettled(
        o.gateways.map((name, i) => startGateway({ name, storeUrl: o.storeUrl, telegramBase: doors[i]!, token: tg.token, llmUrl: llm.url, ...(o.env ? { env: o.env } : {}) })),
      );
      for (const s of started) if (s.status === "fulfilled") rig.gateways.set(s.value.name, s.value);
      const failed = started.find((s) => s.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;
      return rig;
    } catch (err) {
      await rig.close();
      throw err;
    }
  }

  alive(): Gateway[] {
    return [...this.gateways.values()].filter((g) => g.alive);
  }

  /** person `user` writes message `id` (text `msg <id>`) */
  write(user: number, id: string): void {
    this.written.push(id);
    this.tg.userMessage({ chatId: FIRST_CHAT + user, fromId: FIRST_CHAT + user, text: `msg ${id}` });
  }

  replies(): string[] {
    return this.tg.sent.map((m) => m.text ?? "");
  }

  answered(id: string): boolean {
    return this.replies().some((r) => mentions(r, id));
  }

  unanswered(): string[] {
    const replies = this.replies();
    return this.written.filter((id) => !replies.some((r) => mentions(r, id)));
  }

  /** once / lost / twice for every message written, from the replies the bot sent */
  figures(kills: number): ChaosFigures {
    return count("telegram", kills, this.written, this.replies());
  }

  /** Waits until one gateway polls the bot; returns its name. */
  async poller(timeoutMs = 20_000): Promise<string> {
    return waitFor(() => this.watch.polling()[0], "a gateway polling Telegram", timeoutMs);
  }

  /** kill -9 (no shutdown, no lease given back); returns the moment of the kill */
  async kill(name: string): Promise<number> {
    const g = this.gateways.get(name)!;
    const at = Date.now();
    await g.daemon.kill();
    g.alive = false;
    this.ledger.killed(name, at);
    return at;
  }

  /** Starts a killed gateway again in its home (a new fleet member, same config). */
  async restart(name: string): Promise<void> {
    const g = this.gateways.get(name)!;
    if (g.alive) throw new Error(`${name} is still running`);
    g.daemon = await startDaemon(g.home, g.env);
    g.alive = true;
  }

  /** Waits for the first getUpdates of another gateway after `killedAt`; returns it with the takeover time. */
  async takeover(killedAt: number, killed: string, timeoutMs = 30_000): Promise<{ gateway: string; ms: number }> {
    const p = await waitFor(() => this.watch.firstPollAfter(killedAt, killed), `another gateway to poll after ${killed} was killed`, timeoutMs);
    return { gateway: p.gateway, ms: p.start - killedAt };
  }

  async waitAllAnswered(timeoutMs: number): Promise<void> {
    await waitFor(() => this.unanswered().length === 0 || undefined, "every message answered", timeoutMs).catch(() => {
      throw new Error(`unanswered after ${timeoutMs} ms: ${this.unanswered().join(" ")}\n${this.logs()}`);
    });
  }

  /** the last log lines of every gateway, for a failure report */
  logs(lines = 15): string {
    return [...this.gateways.values()].map((g) => `--- ${g.name}${g.alive ? "" : " (killed)"}:\n${g.daemon.log.slice(-lines).join("\n")}`).join("\n");
  }

  async status(name: string): Promise<Record<string, unknown>> {
    return (await (await fetch(`${this.gateways.get(name)!.daemon.url}/status`)).json()) as Record<string, unknown>;
  }

  /** Stops the gateways still alive (SIGTERM), then the fakes; removes the homes. */
  async close(): Promise<void> {
    await Promise.all(this.alive().map((g) => g.daemon.stop().catch(() => undefined)));
    await Promise.all([this.llm.close(), this.tg.close(), this.watch.close()]);
    for (const g of this.gateways.values()) rmSync(g.home, { recursive: true, force: true });
  }
}
