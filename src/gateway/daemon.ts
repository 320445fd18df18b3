// The gateway daemon: the composition root. Opens the store (once, for the
// life of the process), builds the runtime, starts HTTP, every enabled
// channel under a supervisor, the cron service and the heartbeat; answers
// what a previous life left unanswered; reloads on SIGHUP, a config edit or
// POST /reload (build the whole new runtime, validate it, swap it in; see
// reload.ts); shuts down cleanly on SIGTERM/SIGINT.
import { ConfigError, errorMessage } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import { loadConfig, type LoadedConfig } from "../config/load.ts";
import type { Paths } from "../config/paths.ts";
import { registerReloadRoute } from "../http/reload-route.ts";
import { VERSION } from "../cli/version.ts";
import { LogTail } from "../ui/log-tail.ts";
import { registerControlPage } from "../ui/routes.ts";
import { GatewayControl, lastReloadView, pageOutcome } from "./control.ts";
import { startHttpServer, type RunningHttpServer } from "../http/server.ts";
import type { CronService } from "../scheduler/cron-service.ts";
import type { Heartbeat } from "../scheduler/heartbeat.ts";
import type { StoreBackend } from "../store/backend.ts";
import { ChannelSet } from "./channel-set.ts";
import { loadChannels, webhookRoutes } from "./channels.ts";
import { ConfigWatcher, readConfigSnapshot } from "./config-watch.ts";
import { storeLocation } from "../store/location.ts";
import { openGatewayStore } from "./open-store.ts";
import { gatewayListen } from "./listen.ts";
import { GatewayMetrics, type Counters } from "./metrics.ts";
import { Outbox } from "./outbox.ts";
import type { Pipeline } from "./pipeline.ts";
import { buildGatewayPipeline } from "./wiring.ts";
import { Reloader, type Generation } from "./reloader.ts";
import { loadStartChannels, problemsOf, type ReloadOutcome, type ReloadTrigger } from "./reload.ts";
import { createRuntime, type Runtime } from "./runtime.ts";
import { RuntimeHolder } from "./runtime-holder.ts";
import { removeRunFile, runFilePath, writeRunFile } from "./run-file.ts";
import { startRetention } from "../store/retention.ts";
import { checkpointWhenQuiet } from "../store/checkpoint.ts";
import { turnActivity } from "./turn-slots.ts";
import { buildStatus } from "./status.ts";
import { loadSoon, runtimeLoads, warmUpWhenReady } from "./warm-up.ts";
import { StartTimeline } from "./start-timeline.ts";
import { buildCronService, buildHeartbeat, queueText, type SchedulerDeps } from "./schedulers.ts";
import { LeasedChannels } from "./fleet-channels.ts";
import type { GatewayFleet, GatewayFleetOptions } from "./fleet-gateway.ts";

export interface DaemonOptions {
  paths: Paths;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** ms to let running turns finish on shutdown; default 30 s */
  shutdownDeadlineMs?: number;
  /** reload when the config file changes; default true */
  watchConfig?: boolean;
  /** the log's recent lines, for the control page (the CLI taps the logger into it) */
  logTail?: LogTail;
  /** quiet time after a config edit before reloading; default 300 ms */
  reloadDebounceMs?: number;
  /** a fleet's timings and member id (tests); the defaults are the documented ones */
  fleet?: Partial<Omit<GatewayFleetOptions, "url" | "logger">>;
}

export class Daemon {
  private readonly opts: DaemonOptions;
  private readonly log: Logger;
  private readonly env: NodeJS.ProcessEnv;
  /** the config, listener settings and heartbeat serving now; replaced whole by a reload */
  private gen!: Generation;
  private store!: StoreBackend;
  private holder!: RuntimeHolder;
  private outbox!: Outbox;
  private pipeline!: Pipeline;
  private channels!: ChannelSet;
  /** on PostgreSQL: this gateway's fleet, and every configured channel with which of them run here (leases) */
  private fleet: GatewayFleet | undefined;
  private leased: LeasedChannels | undefined;
  private reloader!: Reloader;
  private metrics!: GatewayMetrics;
  private http: RunningHttpServer | undefined;
  private cron: CronService | undefined;
  private watcher: ConfigWatcher | undefined;
  /** webhook paths the HTTP server has routes for (mounted once, at start) */
  private mountedWebhooks = new Set<string>();
  private readonly startedAt = Date.now();
  private stopping: Promise<void> | undefined;
  private stopRetention: (() => void) | undefined;
  private stopCheckpoints: (() => void) | undefined;
  private stopWarmUp: (() => void) | undefined;
  /** where the start went (start-timeline.ts): logged at ready, shown in /status */
  private readonly timeline = new StartTimeline();
  readonly counters: Counters = { inbound: 0, duplicates: 0 };

  constructor(opts: DaemonOptions) {
    this.opts = opts;
    this.log = opts.logger;
    this.env = opts.env ?? process.env;
  }

  async start(): Promise<void> {
    this.timeline.mark("modules loaded");
    const file = this.opts.paths.configFile;
    const seen = readConfigSnapshot(file);
    const loaded = loadConfig({ path: file, env: this.env });
    for (const w of loaded.warnings) this.log.warn(w);
    if (!loaded.exists) this.log.warn(`no config file at ${file}; running on the embedded defaults. Run \`switchboard onboard\` to set one up`);
    // a store.url that is not one is a config error before anything starts
    const location = storeLocation(loaded.config.store.url, this.env, this.opts.paths.home, this.opts.paths.dbFile);
    const listen = gatewayListen(loaded.config.gateway, this.env);
    this.timeline.mark("config read");
    const channels = await loadStartChannels(loaded, this.log, this.opts.paths.home);
    this.timeline.mark("channel adapters built");
    this.store = await openGatewayStore(location);
    // SQLite's WAL checkpoint when no turn runs, not inside the commit of a message being answered
    this.stopCheckpoints = checkpointWhenQuiet(this.store, { work: turnActivity, onError: (err) => this.log.warn({ err: errorMessage(err) }, "WAL checkpoint failed; SQLite checkpoints at its bound instead") });
    this.timeline.mark("store open");
    // the fleet code, and with it pg, is loaded on PostgreSQL only: a SQLite gateway starts ~50 modules lighter
    if (location.kind === "postgres") this.fleet = await (await import("./fleet-gateway.ts")).GatewayFleet.start({ url: location.url, logger: this.log, ...this.opts.fleet });
    const runtime = this.buildRuntime(loaded);
    this.timeline.mark("runtime built");
    this.holder = new RuntimeHolder(runtime, this.log);
    let heartbeat: Heartbeat;
    try {
      heartbeat = this.buildHeartbeat(loaded, runtime.workspaceDir);
    } catch (err) {
      throw new ConfigError(problemsOf(err, "heartbeat"), loaded.file);
    }
    this.gen = { loaded, listen, heartbeat };
    this.metrics = new GatewayMetrics({
      counters: this.counters,
      readiness: () => this.readiness(),
      status: () => this.status(),
      attempts: () => this.holder.current.router.attemptsLog(500),
      providerOf: (id) => this.holder.current.directory.all().find((e) => e.id === id)?.vendor,
    });
    this.channels = new ChannelSet({
      accept: async (msg) => {
        this.counters.inbound++;
        await this.pipeline.accept(msg);
      },
      outbox: () => this.outbox,
      // the pipeline of the moment: a reload replaces it
      readAhead: (id) => this.pipeline.readAhead(id),
      cursors: (id) => ({ get: (s) => this.store.cursors.get(id, s), set: (s, c) => this.store.cursors.set(id, s, c), list: () => this.store.cursors.list(id) }),
      logger: this.log,
    });
    if (this.fleet) this.leased = new LeasedChannels({ set: this.channels, logger: this.log });
    this.outbox = new Outbox({
      delivery: this.store.delivery,
      adapter: (id) => this.metrics.timedAdapter(this.channels.adapter(id)),
      online: (id) => this.channels.online(id),
      health: this.store.health,
      authFailed: (id, message) => this.channels.authFailed(id, message),
      // a pairing approved from the CLI queues its notice from another process
      pollMs: 2000,
      logger: this.log,
      ...(this.fleet ? { fence: this.fleet.outbox } : {}),
    });
    this.pipeline = this.buildPipeline();
    this.reloader = new Reloader({
      file,
      env: this.env,
      logger: this.log,
      current: () => this.gen,
      holder: this.holder,
      channels: this.leased ?? this.channels,
      mountedWebhooks: () => this.mountedWebhooks,
      buildRuntime: (l) => this.buildRuntime(l),
      buildHeartbeat: (l, dir) => this.buildHeartbeat(l, dir),
      loadChannel: async (id, cfg) => (await loadChannels({ [id]: cfg }, this.log, this.opts.paths.home))[0],
      swapped: (next) => {
        this.gen = next;
        this.cron?.wake();
        loadSoon(() => runtimeLoads(this.holder.current), (ms) => this.log.debug({ ms }, "warmed up: the reloaded runtime's model SDKs and tool schemas"));
      },
      seen: (hash) => this.watcher?.noteSeen(hash),
    });

    // webhook routes resolve the adapter running now, so a restarted channel keeps answering
    // every channel's route is mounted once, whether or not it runs now (503 until it does)
    this.mountedWebhooks = new Set(webhookRoutes().map((r) => r.path));
    const webhooks = { routes: webhookRoutes(), live: (id: string) => this.channels.adapter(id) };
    this.http = await startHttpServer({
      host: listen.host,
      port: listen.port,
      logger: this.log,
      readiness: () => this.readiness(),
      status: () => this.status(),
      metrics: () => this.metrics.render(),
      // read per request: a reload's token, hosts and runtime serve the next request
      access: () => {
        const g = this.gen.loaded.config.gateway;
        const token = this.gen.listen.token;
        return { ...(token ? { token } : {}), allowedHosts: g.allowed_hosts, corsOrigins: g.cors.origins };
      },
      api: () => {
        const rt = this.holder.current;
        return {
          // the turn keeps its runtime open to the end, even when a reload replaces it meanwhile
          agent: { runConversation: (input) => this.holder.use((r) => r.agent.runConversation(input)) },
          directory: rt.directory,
          primary: rt.primary,
          router: rt.router,
          userSessions: this.gen.loaded.config.gateway.api.user_sessions,
        };
      },
      routes: (app, guards) => {
        registerReloadRoute(app, () => this.reload("request"), guards.requireToken);
        const control = this.buildControl(file);
        registerControlPage(app, guards, { surface: () => control, token: () => this.gen.listen.token });
      },
      webhooks,
    });
    this.timeline.mark("http listening");
    for (const ch of channels) (this.leased ?? this.channels).start(ch);
    await this.pipeline.recover();
    await this.fleet?.begin({ channels: this.leased!, wakeSession: (key) => this.pipeline.wake(key), kickOutbox: (ch) => this.outbox.kick(ch) });
    this.stopRetention = startRetention(this.store, this.gen.loaded.config.gateway.retention_days, (err) =>
      this.log.warn({ err: errorMessage(err) }, "could not prune answered messages; trying again in an hour"),
    );
    this.cron = buildCronService({ ...this.schedulerDeps(), config: () => this.gen.loaded });
    this.cron.start();
    this.gen.heartbeat.start();
    if (this.opts.watchConfig !== false) {
      this.watcher = new ConfigWatcher({ file, logger: this.log, onChange: () => void this.reload("file"), onUnchanged: () => this.log.debug("config file event without a content change; nothing to reload"), ...(this.opts.reloadDebounceMs !== undefined ? { debounceMs: this.opts.reloadDebounceMs } : {}) });
      this.watcher.start(seen.hash);
    }
    this.writeRunFile();
    this.timeline.mark("start done");
    this.stopWarmUp = warmUpWhenReady({
      ready: () => this.readiness().ready,
      changes: (listener) => this.channels.onChange(listener),
      // how long start → ready took, in wall and CPU time (the CPU figure holds on a busy machine)
      onReady: () => {
        const r = this.timeline.ready(this.channels.statuses());
        this.log.info({ startupMs: r.readyMs, startupCpuMs: r.cpuMs, startup: { steps: r.steps, channelsOnlineMs: r.channelsOnlineMs } }, "gateway ready");
      },
      load: () => [...runtimeLoads(this.holder.current), () => this.metrics.load()],
      done: (ms) => this.log.debug({ ms }, "warmed up: model SDKs, tool schemas, metrics and the Markdown parser"),
    });
    this.log.info({ channels: channels.map((c) => c.id), http: this.http.url, store: this.store.location }, "gateway started");
  }

  /** the control page's view of this gateway (src/ui) */
  private buildControl(configFile: string): GatewayControl {
    return new GatewayControl({
      version: VERSION,
      startedAt: this.startedAt,
      configFile,
      env: this.env,
      store: this.store,
      logTail: this.opts.logTail ?? new LogTail(),
      ready: () => this.readiness().ready,
      lastReload: () => lastReloadView(this.reloader.last),
      channels: () => this.channels.statuses(),
      pairingQr: (id) => this.channels.adapter(id)?.pairingCode?.(),
      restartChannel: async (id) => void (await this.channels.restart(id)),
      router: () => this.holder.current.router,
      clearCooldown: (key) => void this.holder.current.router.clearCooldown(key),
      runCronNow: async (id) => void (await this.cron?.runNow(id)),
      cronChanged: () => this.cron?.wake(),
      approved: async (channel) => this.outbox.kick(channel),
      reload: async () => pageOutcome(await this.reload("request")),
    });
  }

  /** what the heartbeat and cron service run on (schedulers.ts) */
  private schedulerDeps(): SchedulerDeps {
    return { holder: this.holder, store: this.store, logger: this.log, send: async (channel, chatId, text) => this.sendText(channel, chatId, text), ...(this.fleet ? { fleet: this.fleet } : {}) };
  }

  private buildHeartbeat(loaded: LoadedConfig, workspaceDir: string): Heartbeat {
    return buildHeartbeat({ ...this.schedulerDeps(), isAllowed: (channel) => (this.leased ?? this.channels).has(channel) }, loaded, workspaceDir);
  }

  /** text from tools, cron and heartbeat goes through the same outbox as replies */
  private sendText(channel: string, chatId: string, text: string): Promise<void> {
    // in a fleet the channel may run on another gateway: its configured adapter gives the chunk size
    const channels = this.leased ? { adapter: (id: string) => this.leased!.configuredAdapter(id) } : this.channels;
    return queueText({ store: this.store, channels, outbox: this.outbox }, channel, chatId, text);
  }

  /** one runtime per config, all on the daemon's one open store */
  private buildRuntime(loaded: LoadedConfig): Runtime {
    return createRuntime({
      loaded,
      paths: this.opts.paths,
      logger: this.log,
      env: this.env,
      store: this.store,
      send: async (channel, chatId, text) => this.sendText(channel, chatId, text),
      ...(this.fleet ? { sharedRouter: this.fleet.router } : {}),
      onCronChange: () => this.cron?.wake(),
    });
  }

  private buildPipeline(): Pipeline {
    return buildGatewayPipeline({
      store: this.store,
      outbox: this.outbox,
      channels: this.channels,
      holder: this.holder,
      metrics: this.metrics,
      logger: this.log,
      config: () => this.gen.loaded.config,
      ...(this.fleet ? { fleet: this.fleet, leased: this.leased! } : {}),
    });
  }

  /** <state>/state/gateway.json: where the running gateway listens (for the CLI and scripts) */
  get runFile(): string {
    return runFilePath(this.opts.paths.home);
  }

  private writeRunFile(): void {
    try {
      writeRunFile(this.opts.paths.home, { pid: process.pid, url: this.http!.url, startedAt: new Date(this.startedAt).toISOString() });
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "could not write the run file");
    }
  }

  get url(): string | undefined {
    return this.http?.url;
  }

  readiness(): { ready: boolean; detail: Record<string, string> } {
    const store = this.store.health.state;
    const detail: Record<string, string> = { store: store === "ok" ? "open" : store };
    let ready = store === "ok";
    for (const s of this.channels.statuses()) {
      detail[s.id] = s.state;
      if (s.state !== "online") ready = false;
    }
    if (this.stopping) {
      ready = false;
      detail.gateway = "stopping";
    }
    return { ready, detail };
  }

  async status(): Promise<unknown> {
    const fleet = await this.fleet?.status().catch(() => undefined);
    const startup = this.timeline.report();
    const status = await buildStatus({
      ...(fleet ? { fleet } : {}),
      startedAt: this.startedAt,
      channels: this.channels.statuses(),
      runtime: this.holder.current,
      pipeline: this.pipeline,
      lastReload: this.reloader.last,
      store: this.store.health.snapshot(),
    });
    // where this process's start went, once it was ready (start-timeline.ts)
    return startup ? { ...status, startup } : status;
  }

  /** SIGHUP, an edited file or POST /reload; never throws, and a refused config leaves the running one serving */
  reload(trigger: ReloadTrigger = "signal"): Promise<ReloadOutcome> {
    if (this.stopping) {
      const message = "the gateway is shutting down; start it again to use the new config";
      return Promise.resolve({ result: "refused", trigger, at: new Date().toISOString(), reason: message, problems: [{ path: "", message }], changed: [], restartRequired: [] });
    }
    return this.reloader.reload(trigger);
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const deadline = this.opts.shutdownDeadlineMs ?? 30_000;
    this.log.info({ deadlineMs: deadline }, "shutting down: finishing running turns");
    this.watcher?.close();
    await this.reloader.idle();
    await this.fleet?.handOver(); // other gateways take this one's channels over at once
    this.stopRetention?.();
    this.stopWarmUp?.();
    await this.pipeline.drain(deadline);
    await Promise.allSettled([this.cron?.stop(), this.gen.heartbeat.stop()]);
    await this.outbox.flush(Math.min(10_000, deadline));
    this.outbox.close();
    await this.channels.stopAll();
    await this.http?.close();
    await this.holder.close();
    await this.fleet?.stop();
    this.stopCheckpoints?.();
    await this.store.close();
    removeRunFile(this.opts.paths.home);
    this.log.info("gateway stopped");
  }
}
