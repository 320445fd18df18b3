// The channels the gateway runs right now, each under its supervisor, with
// the access policy the pipeline reads for every message. A reload hands it
// a plan: stop what was disabled, restart what changed, start what is new,
// and swap policies in place (a new allow_from needs no reconnect).
import type { ChannelAdapter, ChannelCursors, InboundMessage } from "../core/channel.ts";
import type { Logger } from "../core/logger.ts";
import type { LoadedChannel } from "./channels.ts";
import type { Outbox } from "./outbox.ts";
import type { ChannelPolicy } from "./pipeline.ts";
import { ChannelSupervisor, type ChannelStatus } from "./supervisor.ts";

interface Running {
  loaded: LoadedChannel;
  sup: ChannelSupervisor;
  policy: ChannelPolicy;
}

export interface ChannelSetOptions {
  /** hands an inbound message to the pipeline */
  accept: (msg: InboundMessage) => Promise<void>;
  outbox: () => Outbox;
  logger: Logger;
  /** a channel's durable per-chat positions (catch-up after downtime) */
  cursors?: (channel: string) => ChannelCursors;
  /** how many updates a pulling channel asks for in its next read (ChannelContext.readAhead) */
  readAhead?: (channel: string) => number | undefined;
}

/** What a reload changes about the channels; every adapter in `start` is built and validated already. */
export interface ChannelPlan {
  /** new or changed channels, ready to start (a running one with the same id is replaced) */
  start: LoadedChannel[];
  /** running channels to stop (disabled or removed) */
  stop: string[];
  /** new access policies for running channels whose adapter config did not change */
  policies: Map<string, ChannelPolicy>;
}

export class ChannelSet {
  private readonly opts: ChannelSetOptions;
  private readonly running = new Map<string, Running>();
  private readonly listeners = new Set<() => void>();

  constructor(opts: ChannelSetOptions) {
    this.opts = opts;
  }

  ids(): string[] {
    return [...this.running.keys()];
  }

  has(id: string): boolean {
    return this.running.has(id);
  }

  adapter(id: string): ChannelAdapter | undefined {
    return this.running.get(id)?.loaded.adapter;
  }

  policy(id: string): ChannelPolicy | undefined {
    return this.running.get(id)?.policy;
  }

  online(id: string): boolean {
    return this.running.get(id)?.sup.status().state === "online";
  }

  /** true for a running channel that pulls updates (polling): it waits while every turn slot is taken */
  holdsReading(id: string): boolean {
    return this.running.get(id)?.loaded.holdsReading === true;
  }

  statuses(): ChannelStatus[] {
    return [...this.running.values()].map((c) => c.sup.status());
  }

  /** a send found the channel's credentials rejected: its supervisor takes it offline */
  authFailed(id: string, message: string): void {
    this.running.get(id)?.sup.authFailed(message);
  }

  /**
   * Calls `listener` after any running channel's state changed (the
   * gateway's readiness follows them); returns the function that stops it.
   */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(loaded: LoadedChannel): void {
    const sup: ChannelSupervisor = new ChannelSupervisor({
      adapter: loaded.adapter,
      emit: this.opts.accept,
      // the supervisor names its channel in every line
      logger: this.opts.logger,
      ...(this.opts.cursors ? { cursors: this.opts.cursors(loaded.id) } : {}),
      ...(this.opts.readAhead ? { readAhead: () => this.opts.readAhead?.(loaded.id) } : {}),
      onState: (status) => {
        // replies that waited for this channel (a start, a reconnect) go out now: after the adapter's own
        // call that reported it online has returned, so a send never runs inside that call
        if (status.state === "online") setImmediate(() => this.running.get(loaded.id)?.sup === sup && this.opts.outbox().kick(loaded.id));
        for (const listener of this.listeners) listener();
      },
    });
    this.running.set(loaded.id, { loaded, sup, policy: loaded.policy });
    sup.start();
  }

  /** applies a reload's plan; the old adapter of a restarted channel is stopped before the new one starts */
  async apply(plan: ChannelPlan): Promise<{ started: string[]; restarted: string[]; stopped: string[]; policies: string[] }> {
    const out = { started: [] as string[], restarted: [] as string[], stopped: [] as string[], policies: [] as string[] };
    for (const [id, policy] of plan.policies) {
      const c = this.running.get(id);
      if (!c) continue;
      c.policy = policy;
      out.policies.push(id);
    }
    for (const id of plan.stop) {
      const c = this.running.get(id);
      if (!c) continue;
      this.running.delete(id);
      await c.sup.stop();
      out.stopped.push(id);
      this.opts.logger.info({ channel: id }, "channel stopped by reload");
    }
    for (const loaded of plan.start) {
      const old = this.running.get(loaded.id);
      if (old) await old.sup.stop();
      this.start(loaded);
      (old ? out.restarted : out.started).push(loaded.id);
      this.opts.logger.info({ channel: loaded.id }, old ? "channel restarted with its new config" : "channel started by reload");
    }
    return out;
  }

  /** a person's "restart": the supervisor stops the adapter and starts it again (counted as a restart) */
  async restart(id: string): Promise<boolean> {
    const c = this.running.get(id);
    if (!c) return false;
    await c.sup.restart("restarted by hand");
    return true;
  }

  async stopAll(): Promise<void> {
    await Promise.allSettled([...this.running.values()].map((c) => c.sup.stop()));
  }
}
