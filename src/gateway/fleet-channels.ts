// The channels of a gateway in a fleet. Every gateway loads every enabled
// channel, but a platform allows one poller or one socket per bot (Telegram
// answers 409 to a second getUpdates): such a channel runs here only while
// this gateway holds its lease ("<channel>:default"), started when the lease
// is acquired and stopped the moment it is lost. A channel that takes
// webhooks (mode "webhook") has nothing exclusive to run: it runs on every
// gateway, and whichever receives a webhook stores it; its lease then only
// says which gateway drains its outbox.
//
// The running part is the gateway's ChannelSet; this keeps what is
// configured (held or not), so a reload knows every channel and a lease
// acquired later starts the newest config.
import type { ChannelAdapter } from "../core/channel.ts";
import type { Logger } from "../core/logger.ts";
import type { ChannelPlan, ChannelSet } from "./channel-set.ts";
import type { LoadedChannel } from "./channels.ts";
import type { ChannelPolicy } from "./pipeline.ts";

/** The lease resource of a channel (one account per channel today). */
export function channelAccount(id: string): string {
  return `${id}:default`;
}

/** The channel id of a lease resource, or undefined for other resources ("heartbeat"). */
export function accountChannel(account: string): string | undefined {
  const i = account.lastIndexOf(":");
  return i > 0 ? account.slice(0, i) : undefined;
}

/** True when the channel's config makes it take webhooks: it runs on every gateway of the fleet. */
export function takesWebhooks(loaded: LoadedChannel): boolean {
  if (!loaded.definition.webhook) return false;
  try {
    return (JSON.parse(loaded.fingerprint) as { mode?: unknown }).mode === "webhook";
  } catch {
    return false;
  }
}

export interface LeasedChannelsOptions {
  set: ChannelSet;
  logger: Logger;
  /** default takesWebhooks */
  shared?: (loaded: LoadedChannel) => boolean;
}

type Applied = Awaited<ReturnType<ChannelSet["apply"]>>;

export class LeasedChannels {
  private readonly set: ChannelSet;
  private readonly log: Logger;
  private readonly shared: (loaded: LoadedChannel) => boolean;
  private readonly configured = new Map<string, LoadedChannel>();
  /** channel ids whose lease this gateway holds */
  private readonly held = new Set<string>();
  /** one change at a time per channel: a lease lost while its start is being applied waits for it */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(o: LeasedChannelsOptions) {
    this.set = o.set;
    this.log = o.logger;
    this.shared = o.shared ?? takesWebhooks;
  }

  /** every configured channel, running here or not */
  ids(): string[] {
    return [...this.configured.keys()];
  }

  has(id: string): boolean {
    return this.configured.has(id);
  }

  /** the configured channel's adapter, running here or not: for its capabilities (chunk size), never to send */
  configuredAdapter(id: string): ChannelAdapter | undefined {
    return this.configured.get(id)?.adapter;
  }

  policy(id: string): ChannelPolicy | undefined {
    return this.configured.get(id)?.policy;
  }

  /** the lease resources this gateway wants: one per configured channel */
  accounts(): string[] {
    return this.ids().map(channelAccount);
  }

  /** true while this gateway holds the channel's lease */
  holds(id: string): boolean {
    return this.held.has(id);
  }

  private may(loaded: LoadedChannel): boolean {
    return this.held.has(loaded.id) || this.shared(loaded);
  }

  /** at start: the channel runs now when it takes webhooks, otherwise once its lease is acquired */
  start(loaded: LoadedChannel): void {
    this.configured.set(loaded.id, loaded);
    if (this.may(loaded)) this.set.start(loaded);
  }

  /** the lease of `id` was acquired: run it here */
  acquired(id: string): Promise<void> {
    this.held.add(id);
    return this.serial(async () => {
      const loaded = this.configured.get(id);
      if (!loaded || !this.held.has(id) || this.set.has(id)) return;
      this.set.start(loaded);
      this.log.info({ channel: id }, "fleet: channel started here (lease acquired)");
    });
  }

  /** the lease of `id` was lost or given back: stop its poller or socket at once (a webhook channel keeps taking webhooks) */
  lost(id: string): Promise<void> {
    this.held.delete(id);
    return this.serial(async () => {
      const loaded = this.configured.get(id);
      if (this.held.has(id) || !this.set.has(id) || (loaded && this.shared(loaded))) return;
      await this.stopRunning(id);
    });
  }

  private async stopRunning(id: string): Promise<void> {
    await this.set.apply({ start: [], stop: [id], policies: new Map() });
  }

  /**
   * A reload's plan: a changed channel restarts only where it runs; one
   * configured but held elsewhere just takes the new config for when its
   * lease comes here; a disabled one stops, and its lease is given back at
   * the keeper's next round (it is no longer wanted).
   */
  apply(plan: ChannelPlan): Promise<Applied> {
    return this.serial(async () => {
      const out: Applied = { started: [], restarted: [], stopped: [], policies: [] };
      const running = new Map<string, ChannelPolicy>();
      for (const [id, policy] of plan.policies) {
        const loaded = this.configured.get(id);
        if (loaded) this.configured.set(id, { ...loaded, policy });
        if (this.set.has(id)) running.set(id, policy);
        else if (loaded) out.policies.push(id);
      }
      const here: ChannelPlan = { start: [], stop: [], policies: running };
      for (const id of plan.stop) {
        this.configured.delete(id);
        if (this.set.has(id)) here.stop.push(id);
        else out.stopped.push(id);
      }
      for (const loaded of plan.start) {
        this.configured.set(loaded.id, loaded);
        if (this.may(loaded)) here.start.push(loaded);
        else if (this.set.has(loaded.id)) here.stop.push(loaded.id); // polls again, and the lease is elsewhere
        // otherwise kept, not started: it starts with this config when the lease comes here
      }
      const done = await this.set.apply(here);
      return {
        started: [...out.started, ...done.started],
        restarted: [...out.restarted, ...done.restarted],
        stopped: [...out.stopped, ...done.stopped],
        policies: [...out.policies, ...done.policies],
      };
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
