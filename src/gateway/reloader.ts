// A reload, second half: one at a time, prepare (reload.ts) and then swap
// the prepared generation in whole: new turns get the new runtime (running
// ones finish on theirs), the token and config apply to the next request,
// a changed heartbeat is replaced, and only channels whose adapter settings
// changed restart. The outcome is logged, kept for /status, and returned to
// `switchboard reload` / POST /reload. Nothing here throws or exits.
import type { LoadedConfig } from "../config/load.ts";
import type { Logger } from "../core/logger.ts";
import type { Heartbeat } from "../scheduler/heartbeat.ts";
import type { ChannelSet } from "./channel-set.ts";
import { summarize } from "./config-diff.ts";
import { describeProblems, prepareReload, type Listen, type PrepareInput, type ReloadOutcome, type ReloadTrigger } from "./reload.ts";
import type { RuntimeHolder } from "./runtime-holder.ts";
import { errorMessage } from "../core/errors.ts";

/** What one config produces besides the runtime: the config itself, the listener settings, the heartbeat. */
export interface Generation {
  loaded: LoadedConfig;
  listen: Listen;
  heartbeat: Heartbeat;
}

export interface ReloaderOptions extends Pick<PrepareInput, "file" | "env" | "logger" | "buildRuntime" | "buildHeartbeat" | "loadChannel"> {
  current: () => Generation;
  holder: RuntimeHolder;
  /** the channel set, or a fleet's view of it (fleet-channels.ts) */
  channels: Pick<ChannelSet, "ids" | "apply">;
  mountedWebhooks: () => ReadonlySet<string>;
  /** the new generation serves from now on */
  swapped: (next: Generation) => void;
  /** the content a reload read (the file watcher skips events that bring nothing new) */
  seen?: (hash: string) => void;
}

export class Reloader {
  private readonly opts: ReloaderOptions;
  private chain: Promise<unknown> = Promise.resolve();
  /** the last reload's outcome, for /status */
  last: ReloadOutcome | undefined;

  constructor(opts: ReloaderOptions) {
    this.opts = opts;
  }

  /** queued behind a reload in progress; resolves with this reload's outcome */
  reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const run = this.chain.then(() => this.run(trigger));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** waits for a reload in progress (shutdown) */
  async idle(): Promise<void> {
    await this.chain;
  }

  private async run(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const log = this.opts.logger;
    const at = new Date().toISOString();
    let outcome: ReloadOutcome;
    try {
      outcome = await this.attempt(trigger, at);
    } catch (err) {
      // a bug, not a config problem: still never takes the gateway down
      const message = errorMessage(err);
      outcome = { result: "refused", trigger, at, reason: `(internal): ${message}`, problems: [{ path: "", message }], changed: [], restartRequired: [] };
    }
    if (outcome.result === "refused") {
      log.error({ trigger, reason: outcome.reason }, "config reload refused; the running configuration keeps serving");
    } else if (outcome.result === "unchanged") {
      log.info({ trigger }, "config reload: no setting changed");
    } else {
      log.info({ trigger, changed: summarize(outcome.changed), ...(outcome.restartRequired.length ? { restartRequired: outcome.restartRequired } : {}), channels: outcome.channels }, "config reloaded");
      for (const r of outcome.restartRequired) log.warn(r);
    }
    // an unchanged result says nothing new about the running config; /status keeps the last real one
    if (outcome.result !== "unchanged" || !this.last) this.last = outcome;
    return outcome;
  }

  private async attempt(trigger: ReloadTrigger, at: string): Promise<ReloadOutcome> {
    const o = this.opts;
    const cur = o.current();
    // the new router starts from the state file: write out what the running one holds back
    o.holder.current.router.flush();
    const prep = await prepareReload({
      file: o.file,
      env: o.env,
      logger: o.logger,
      loaded: cur.loaded,
      listen: cur.listen,
      workspaceDir: o.holder.current.workspaceDir,
      runningChannels: new Set(o.channels.ids()),
      mountedWebhooks: o.mountedWebhooks(),
      buildRuntime: o.buildRuntime,
      buildHeartbeat: o.buildHeartbeat,
      loadChannel: o.loadChannel,
    });
    o.seen?.(prep.kind === "ready" ? prep.prepared.hash : prep.hash);
    if (prep.kind === "unchanged") return { result: "unchanged", trigger, at, changed: [], restartRequired: [] };
    if (prep.kind === "refused") {
      return { result: "refused", trigger, at, reason: describeProblems(prep.problems), problems: prep.problems, changed: prep.changed, restartRequired: [] };
    }
    const p = prep.prepared;
    for (const w of p.loaded.warnings) o.logger.warn(w);
    o.holder.swap(p.runtime);
    o.swapped({ loaded: p.loaded, listen: p.listen, heartbeat: p.heartbeat ?? cur.heartbeat });
    if (p.heartbeat) {
      // the old heartbeat finishes a beat in progress on its own
      void cur.heartbeat.stop();
      p.heartbeat.start();
    }
    const channels = await o.channels.apply(p.channels);
    return { result: "applied", trigger, at, changed: p.changed, restartRequired: p.restartRequired, channels };
  }
}
