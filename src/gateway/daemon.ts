// The gateway daemon: the composition root. Opens the store, builds the
// runtime, starts HTTP, every enabled channel under a supervisor, the cron
// service and the heartbeat; answers what a previous life left unanswered;
// reloads on SIGHUP or a config edit; shuts down cleanly on SIGTERM/SIGINT.
import { mkdirSync, rmSync, watch, writeFileSync, type FSWatcher } from "node:fs";
import { dirname, join } from "node:path";
import { systemClock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import { sessionKeyFor } from "../agent/session-key.ts";
import { loadConfig, type LoadedConfig } from "../config/load.ts";
import type { Paths } from "../config/paths.ts";
import { startHttpServer, type RunningHttpServer } from "../http/server.ts";
import { CronService } from "../scheduler/cron-service.ts";
import { Heartbeat } from "../scheduler/heartbeat.ts";
import { transcriptionFailureMessage } from "../voice/messages.ts";
import { loadChannels, type LoadedChannel } from "./channels.ts";
import { gatewayListen } from "./listen.ts";
import { GatewayMetrics, type Counters } from "./metrics.ts";
import { Outbox } from "./outbox.ts";
import { Pipeline } from "./pipeline.ts";
import { createRuntime, type Runtime } from "./runtime.ts";
import { buildStatus } from "./status.ts";
import { ChannelSupervisor } from "./supervisor.ts";

export interface DaemonOptions {
  paths: Paths;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** ms to let running turns finish on shutdown; default 30 s */
  shutdownDeadlineMs?: number;
  /** reload when the config file changes; default true */
  watchConfig?: boolean;
}

export class Daemon {
  private readonly opts: DaemonOptions;
  private readonly log: Logger;
  private loaded!: LoadedConfig;
  private runtime!: Runtime;
  private outbox!: Outbox;
  private pipeline!: Pipeline;
  private metrics!: GatewayMetrics;
  private http: RunningHttpServer | undefined;
  private cron: CronService | undefined;
  private heartbeat: Heartbeat | undefined;
  private watcher: FSWatcher | undefined;
  private readonly channels = new Map<string, { loaded: LoadedChannel; sup: ChannelSupervisor }>();
  private readonly startedAt = Date.now();
  private stopping: Promise<void> | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  readonly counters: Counters = { inbound: 0, duplicates: 0 };

  constructor(opts: DaemonOptions) {
    this.opts = opts;
    this.log = opts.logger;
  }

  async start(): Promise<void> {
    this.loaded = loadConfig({ path: this.opts.paths.configFile, env: this.opts.env ?? process.env });
    for (const w of this.loaded.warnings) this.log.warn(w);
    if (!this.loaded.exists) {
      this.log.warn(`no config file at ${this.opts.paths.configFile}; running on the embedded defaults. Run \`switchboard onboard\` to set one up`);
    }
    this.runtime = createRuntime({
      loaded: this.loaded,
      paths: this.opts.paths,
      logger: this.log,
      send: async (channel, chatId, text) => this.sendText(channel, chatId, text),
      onCronChange: () => this.cron?.wake(),
    });
    const store = this.runtime.store;
    this.metrics = new GatewayMetrics({ counters: this.counters, readiness: () => this.readiness(), status: () => this.status(), attempts: () => this.runtime.router.attemptsLog(500), providerOf: (id) => this.runtime.directory.all().find((e) => e.id === id)?.vendor });
    this.outbox = new Outbox({
      delivery: store.delivery,
      adapter: (id) => this.metrics.timedAdapter(this.channels.get(id)?.loaded.adapter),
      online: (id) => this.channels.get(id)?.sup.status().state === "online",
      logger: this.log,
    });
    const dmScope = this.loaded.config.session?.dm_scope ?? "per-channel-peer";
    this.pipeline = new Pipeline({
      delivery: store.delivery,
      pairing: store.pairing,
      outbox: this.outbox,
      adapter: (id) => this.channels.get(id)?.loaded.adapter,
      policy: (id) => this.channels.get(id)?.loaded.policy,
      sessionKey: (msg) =>
        sessionKeyFor(
          {
            channel: msg.channel,
            chatId: msg.chatId,
            chatType: msg.chatType,
            senderId: msg.senderId,
            ...(msg.accountId ? { accountId: msg.accountId } : {}),
            ...(msg.threadId ? { threadId: msg.threadId } : {}),
          },
          dmScope,
        ),
      runTurn: (input) => this.metrics.timeTurn(input.origin.channel, () => this.runtime.agent.runTurn(input)),
      voice: {
        echo: this.runtime.transcriber.echo,
        transcribe: (input) => this.runtime.transcriber.transcribe(input),
        failureMessage: transcriptionFailureMessage,
      },
      noteActiveChat: (channel, chatId) => store.kv.set("last_active_chat", { channel, chatId }),
      logger: this.log,
    });

    const listen = gatewayListen(this.loaded.config.gateway, this.opts.env ?? process.env);
    const channels = await loadChannels(this.loaded.config.channels as never, this.log, this.opts.paths.home);
    const webhooks = new Map(channels.filter((c) => c.webhook).map((c) => [c.webhook!.path, c.webhook!.handle]));
    this.http = await startHttpServer({
      ...listen,
      logger: this.log,
      readiness: () => this.readiness(),
      status: () => this.status(),
      metrics: () => this.metrics.render(),
      // read per request: a reload's new runtime and settings serve the next request
      access: () => {
        const g = this.loaded.config.gateway;
        const token = gatewayListen(g, this.opts.env ?? process.env).token;
        return { ...(token ? { token } : {}), allowedHosts: g.allowed_hosts, corsOrigins: g.cors.origins };
      },
      api: () => ({ ...this.runtime, userSessions: this.loaded.config.gateway.api.user_sessions }),
      webhooks,
    });
    for (const ch of channels) this.startChannel(ch);
    this.pipeline.recover();
    this.startSchedulers();
    if (this.opts.watchConfig !== false) this.watchConfigFile();
    this.writeRunFile();
    this.log.info({ channels: channels.map((c) => c.id), http: this.http.url }, "gateway started");
  }

  /** <state>/state/gateway.json: where the running gateway listens (for the CLI and scripts) */
  get runFile(): string {
    return join(this.opts.paths.home, "state", "gateway.json");
  }

  private writeRunFile(): void {
    try {
      mkdirSync(dirname(this.runFile), { recursive: true, mode: 0o700 });
      writeFileSync(this.runFile, JSON.stringify({ pid: process.pid, url: this.http?.url, startedAt: new Date(this.startedAt).toISOString() }), { mode: 0o600 });
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "could not write the run file");
    }
  }

  get url(): string | undefined {
    return this.http?.url;
  }

  /** text from tools, cron and heartbeat goes through the same outbox as replies */
  private async sendText(channel: string, chatId: string, text: string): Promise<void> {
    const { chunkText } = await import("./chunk.ts");
    const adapter = this.channels.get(channel)?.loaded.adapter;
    if (!adapter) throw new Error(`channel ${channel} is not running`);
    this.runtime.store.delivery.enqueueReply({
      channel,
      chatId,
      replyId: crypto.randomUUID(),
      chunks: chunkText(text, adapter.capabilities.maxTextLength).map((t) => ({ text: t, format: "markdown" })),
      answers: [],
      now: Date.now(),
    });
    this.outbox.kick(channel);
  }

  private startChannel(loaded: LoadedChannel): void {
    const sup = new ChannelSupervisor({
      adapter: loaded.adapter,
      emit: async (msg) => {
        this.counters.inbound++;
        await this.pipeline.accept(msg);
      },
      logger: this.log, // the supervisor names its channel in every line
    });
    this.channels.set(loaded.id, { loaded, sup });
    sup.start();
    // replies waiting for this channel go out once it is online
    const kick = setInterval(() => {
      if (sup.status().state === "online") {
        clearInterval(kick);
        this.outbox.kick(loaded.id);
      }
    }, 200);
    kick.unref();
  }

  private startSchedulers(): void {
    const config = this.loaded.config;
    const store = this.runtime.store;
    const isAllowed = (chat: { channel: string; chatId: string }) => this.channels.has(chat.channel);
    this.cron = new CronService({
      store: store.cron,
      clock: systemClock,
      logger: this.log,
      execTimeoutMinutes: config.tools.cron?.exec_timeout_minutes ?? 5,
      shellCwd: this.runtime.workspaceDir,
      send: (channel, chatId, text) => this.sendText(channel, chatId, text),
      deliverTurn: async (job, signal) => {
        const result = await this.runtime.agent.runTurn({
          origin: { sessionKey: job.origin.sessionKey ?? `cron:${job.id}`, channel: job.origin.channel, chatId: job.origin.chatId, ...(job.origin.senderId ? { senderId: job.origin.senderId } : {}) },
          text: job.payload.kind === "agent" ? job.payload.message : "",
          signal,
        });
        return result.text;
      },
    });
    this.cron.start();
    const hb = config.heartbeat ?? {};
    this.heartbeat = new Heartbeat({
      enabled: hb.enabled === true,
      ...(hb.interval !== undefined ? { intervalMinutes: hb.interval } : {}),
      ...(hb.active_hours ? { activeHours: hb.active_hours } : {}),
      workspaceDir: this.runtime.workspaceDir,
      clock: systemClock,
      logger: this.log,
      runTurn: async (turn) => (await this.runtime.agent.runTurn(turn)).text,
      lastActiveChat: () => store.kv.get<{ channel: string; chatId: string }>("last_active_chat"),
      isAllowed,
      send: (channel, chatId, text) => this.sendText(channel, chatId, text),
    });
    this.heartbeat.start();
  }

  readiness(): { ready: boolean; detail: Record<string, string> } {
    const detail: Record<string, string> = { store: "open" };
    let ready = true;
    for (const [id, { sup }] of this.channels) {
      const s = sup.status();
      detail[id] = s.state;
      if (s.state !== "online") ready = false;
    }
    if (this.stopping) {
      ready = false;
      detail.gateway = "stopping";
    }
    return { ready, detail };
  }

  status(): unknown {
    return buildStatus({
      startedAt: this.startedAt,
      channels: [...this.channels.values()].map((c) => c.sup.status()),
      runtime: this.runtime,
      pipeline: this.pipeline,
    });
  }

  /** SIGHUP or an edited file: an invalid new config is refused and the running one kept */
  async reload(): Promise<void> {
    let next: LoadedConfig;
    try {
      next = loadConfig({ path: this.opts.paths.configFile, env: this.opts.env ?? process.env });
    } catch (err) {
      this.log.error({ err: err instanceof Error ? err.message : String(err) }, "config reload refused; keeping the running configuration");
      return;
    }
    for (const w of next.warnings) this.log.warn(w);
    const wanted = await loadChannels(next.config.channels as never, this.log, this.opts.paths.home);
    const wantedIds = new Set(wanted.map((c) => c.id));
    for (const [id, { sup }] of this.channels) {
      if (!wantedIds.has(id)) {
        await sup.stop();
        this.channels.delete(id);
        this.log.info({ channel: id }, "channel stopped by reload");
      }
    }
    for (const ch of wanted) {
      const running = this.channels.get(ch.id);
      if (running && running.loaded.fingerprint === ch.fingerprint) continue;
      if (running) await running.sup.stop();
      this.startChannel(ch);
      this.log.info({ channel: ch.id }, running ? "channel restarted with its new config" : "channel started by reload");
    }
    this.loaded = next;
    this.log.info("config reloaded");
  }

  private watchConfigFile(): void {
    try {
      this.watcher = watch(this.opts.paths.configFile, () => {
        if (this.reloadTimer) clearTimeout(this.reloadTimer);
        this.reloadTimer = setTimeout(() => void this.reload(), 300);
      });
      this.watcher.on("error", () => undefined);
    } catch {
      // no file yet: SIGHUP still reloads
    }
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const deadline = this.opts.shutdownDeadlineMs ?? 30_000;
    this.log.info({ deadlineMs: deadline }, "shutting down: finishing running turns");
    this.watcher?.close();
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    await this.pipeline.drain(deadline);
    await Promise.allSettled([this.cron?.stop(), this.heartbeat?.stop()]);
    await this.outbox.flush(Math.min(10_000, deadline));
    this.outbox.close();
    await Promise.allSettled([...this.channels.values()].map((c) => c.sup.stop()));
    await this.http?.close();
    this.runtime.router.flush();
    this.runtime.close();
    rmSync(this.runFile, { force: true });
    this.log.info("gateway stopped");
  }
}
