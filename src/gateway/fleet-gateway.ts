// The daemon's side of a fleet (several gateways on one PostgreSQL): joins
// the fleet (src/fleet startFleet), keeps one lease per channel account and
// one for the heartbeat, and implements the hooks of fleet-hooks.ts:
//   - channels: started here while their lease is held (fleet-channels.ts);
//   - sessions: claimed per turn; every few seconds, sessions whose messages
//     wait unclaimed (stored by a gateway that then died, or waiting for a
//     turn slot on a busy one) are taken up here;
//   - outbox: drained by the channel's lease holder only, each send fenced by
//     the lease epoch; replies stored elsewhere arrive by LISTEN/NOTIFY;
//   - cron fires once across the fleet; the heartbeat beats on one gateway.
// Log lines an operator (and the multi-process tests) can follow:
//   "fleet: joined"                               member id, at start
//   "fleet: channel started here (lease acquired)" (fleet-channels.ts)
//   "fleet: lease acquired" / "fleet: lease lost" resource, epoch / why
//   "fleet: took up sessions left waiting"        sessions adopted by the scan
import type pg from "pg";
import type { Logger } from "../core/logger.ts";
import { claimSession, unclaimedPendingSessions, type SessionClaim } from "../fleet/claims.ts";
import { FencedError, fencedWrite, startFleet, type Fleet, type FleetStatus, type Lease, type LoseReason } from "../fleet/index.ts";
import { OutboxListener } from "../fleet/outbox-notify.ts";
import { fleetPool, pgReason } from "../fleet/pool.ts";
import { pgCounters } from "../fleet/router-counters.ts";
import { pgRouterHealth } from "../fleet/router-health.ts";
import type { RouterCounters } from "../providers/router/shared-counters.ts";
import type { RouterStateStore } from "../providers/router/state-store.ts";
import type { AsyncDeliveryStore } from "../store/backend.ts";
import { PgDeliveryStore } from "../store/pg/delivery.ts";
import type { Sql } from "../store/pg/sql.ts";
import { accountChannel, channelAccount, type LeasedChannels } from "./fleet-channels.ts";
import type { FleetHooks, TurnClaim } from "./fleet-hooks.ts";

/** the heartbeat's lease resource */
export const HEARTBEAT_LEASE = "heartbeat";
/** how often a gateway looks for sessions left waiting without a claim */
export const ADOPT_EVERY_MS = 3000;
/** messages waiting this long without a claim are taken up by any gateway */
export const ADOPT_AFTER_MS = 4000;
/** a claim is trusted for a reply's commit only with this much life left (see TurnClaim.held) */
const COMMIT_MARGIN_MS = 2000;
const ADOPT_BATCH = 50;

export interface GatewayFleetOptions {
  /** the store's postgres:// URL */
  url: string;
  logger: Logger;
  channels: LeasedChannels;
  /** runs a session's pending messages here (the pipeline schedules it; the claim decides) */
  wakeSession: (sessionKey: string) => void;
  /** sends what is due on a channel, or on every channel */
  kickOutbox: (channel?: string) => void;
  memberId?: string;
  leaseTtlMs?: number;
  renewMs?: number;
  memberTtlMs?: number;
  heartbeatMs?: number;
  adoptEveryMs?: number;
  adoptAfterMs?: number;
}

/** a pg client as the PostgreSQL stores' Sql (a fenced transaction's connection) */
function clientSql(client: pg.PoolClient): Sql {
  const sql: Sql = {
    query: async (text, values) => {
      const r = await client.query(text, values as unknown[] | undefined);
      return { rows: r.rows, rowCount: r.rowCount };
    },
    tx: (fn) => fn(sql), // already inside the fenced transaction
  };
  return sql;
}

export class GatewayFleet implements FleetHooks {
  readonly fleet: Fleet;
  private readonly o: GatewayFleetOptions;
  private readonly log: Logger;
  private readonly listener: OutboxListener;
  private readonly adopt: NodeJS.Timeout;
  private leading = false;
  private handedOver = false;
  /** releases that failed (the database was away), retried by the adopt timer */
  private readonly unreleased = new Set<TurnClaimImpl>();

  private constructor(o: GatewayFleetOptions, fleet: Fleet) {
    this.o = o;
    this.log = o.logger;
    this.fleet = fleet;
    this.listener = new OutboxListener({
      url: o.url,
      onChannel: (ch) => {
        if (this.o.channels.holds(ch)) this.o.kickOutbox(ch);
      },
      onConnected: () => this.o.kickOutbox(),
      onError: (reason) => this.log.warn({ reason }, "fleet: outbox notifications interrupted; the outbox poll covers meanwhile"),
    });
    this.adopt = setInterval(() => void this.adoptWaiting(), o.adoptEveryMs ?? ADOPT_EVERY_MS);
    this.adopt.unref();
  }

  static async start(o: GatewayFleetOptions): Promise<GatewayFleet> {
    const log = o.logger;
    let gf: GatewayFleet | undefined;
    // channel fences hold a connection while they send: more than the fleet's default four
    const pool = fleetPool(o.url, { max: 8 });
    const fleet = await startFleet({
      pool,
      ...(o.memberId ? { memberId: o.memberId } : {}),
      channels: () => [...o.channels.accounts(), HEARTBEAT_LEASE],
      onAcquire: (resource, lease) => gf?.acquired(resource, lease) ?? Promise.resolve(),
      onLose: (resource, why) => gf?.lost(resource, why) ?? Promise.resolve(),
      onError: (reason) => log.warn({ reason }, "fleet: coordination query failed; retrying"),
      ...(o.leaseTtlMs ? { leaseTtlMs: o.leaseTtlMs } : {}),
      ...(o.renewMs ? { renewMs: o.renewMs } : {}),
      ...(o.memberTtlMs ? { memberTtlMs: o.memberTtlMs } : {}),
      ...(o.heartbeatMs ? { heartbeatMs: o.heartbeatMs } : {}),
    }).catch(async (err: unknown) => {
      await pool.end().catch(() => {});
      throw new Error(`cannot join the fleet: ${pgReason(err)}`, { cause: err });
    });
    gf = new GatewayFleet(o, fleet);
    // the keeper's first round may already have run: replay what it holds
    for (const h of fleet.keeper.holdings()) {
      const lease = fleet.keeper.lease(h.resource);
      if (lease) await gf.acquired(h.resource, lease);
    }
    await gf.listener.start();
    log.info({ member: fleet.id }, "fleet: joined");
    return gf;
  }

  get id(): string {
    return this.fleet.id;
  }

  private async acquired(resource: string, lease: Lease): Promise<void> {
    this.log.info({ resource, epoch: lease.epoch, member: this.id }, "fleet: lease acquired");
    if (resource === HEARTBEAT_LEASE) {
      this.leading = true;
      return;
    }
    const id = accountChannel(resource);
    if (!id) return;
    await this.o.channels.acquired(id);
    this.o.kickOutbox(id); // replies other gateways stored while nobody held it
  }

  private async lost(resource: string, why: LoseReason): Promise<void> {
    this.log[why === "released" ? "info" : "warn"]({ resource, why, member: this.id }, "fleet: lease lost");
    if (resource === HEARTBEAT_LEASE) {
      this.leading = false;
      return;
    }
    const id = accountChannel(resource);
    if (id) await this.o.channels.lost(id);
  }

  // ---- FleetHooks

  readonly sessions = {
    claim: async (sessionKey: string): Promise<TurnClaim | null> => {
      if (!this.fleet.member.alive()) return null;
      const c = await claimSession(this.fleet.pool, sessionKey, this.id, this.fleet.member.ttlMs, { reclaimOwn: true });
      return c ? new TurnClaimImpl(this, c) : null;
    },
  };

  readonly outbox = {
    drains: (channel: string): boolean => this.o.channels.holds(channel) && this.fleet.keeper.lease(channelAccount(channel))?.valid() === true,
    send: <T>(channel: string, fn: (delivery: AsyncDeliveryStore) => Promise<T>): Promise<T> => {
      const account = channelAccount(channel);
      const lease = this.fleet.keeper.lease(account);
      if (!lease?.valid()) return Promise.reject(new FencedError(account, lease?.epoch ?? 0));
      return fencedWrite(this.fleet.pool, account, lease.epoch, (client) => fn(new PgDeliveryStore(clientSql(client))));
    },
  };

  readonly cron = {
    claimFire: (jobId: string, scheduledAt: number): Promise<boolean> => this.fleet.claimCronFire(jobId, scheduledAt),
  };

  readonly heartbeat = {
    leads: (): boolean => this.leading && this.fleet.keeper.lease(HEARTBEAT_LEASE)?.valid() === true,
  };

  /** the router's round-robin, rpm windows and cooldowns shared with the fleet; close() of what it returns does nothing (the fleet owns them) */
  async routerState(): Promise<{ stateStore: RouterStateStore; counters: RouterCounters; close(): void }> {
    const onError = (reason: string) => this.log.warn({ reason }, "fleet: shared router state");
    const stateStore = await pgRouterHealth(this.fleet.pool, { writer: this.id, onError });
    const counters = pgCounters(this.fleet.pool, { onError });
    return {
      // every runtime (one per reload) borrows the same two: a reload must not close them
      stateStore: { ...stateStore, load: () => stateStore.load(), save: (s, opts) => stateStore.save(s, opts), watch: (fn) => stateStore.watch?.(fn), close: () => {} },
      counters: { ...counters, close: () => {} },
      close: () => {
        stateStore.close?.();
        void Promise.resolve(counters.close()).catch(() => {});
      },
    };
  }

  status(): Promise<FleetStatus> {
    return this.fleet.status();
  }

  /** sessions whose messages wait without a live claim: run them here (the claim decides who) */
  private async adoptWaiting(): Promise<void> {
    for (const c of [...this.unreleased]) await c.release();
    if (this.handedOver || !this.fleet.member.alive()) return;
    try {
      const keys = await unclaimedPendingSessions(this.fleet.pool, Date.now() - (this.o.adoptAfterMs ?? ADOPT_AFTER_MS), ADOPT_BATCH, this.fleet.member.ttlMs);
      if (keys.length === 0) return;
      this.log.info({ sessions: keys.length, member: this.id }, "fleet: took up sessions left waiting");
      for (const k of keys) this.o.wakeSession(k);
    } catch (err) {
      this.log.warn({ reason: pgReason(err) }, "fleet: could not look for waiting sessions");
    }
  }

  /** @internal */
  noteUnreleased(c: TurnClaimImpl, failed: boolean): void {
    if (failed) this.unreleased.add(c);
    else this.unreleased.delete(c);
  }

  /**
   * SIGTERM, first step: stop every channel held here and give the leases
   * back (another gateway takes them over at once). Turns still running
   * keep their session claims and finish; their replies go to the new owner.
   */
  async handOver(): Promise<void> {
    if (this.handedOver) return;
    this.handedOver = true;
    clearInterval(this.adopt);
    await this.listener.stop();
    await this.fleet.keeper.stop();
  }

  /** Stops every timer and forgets every lease without telling the database, as SIGKILL would (tests: takeover after the TTL). */
  async halt(): Promise<void> {
    this.handedOver = true;
    clearInterval(this.adopt);
    this.fleet.keeper.halt();
    this.fleet.member.halt();
    await this.listener.stop();
  }

  /** last step: leave the fleet (claims free at once) and close the pool */
  async stop(): Promise<void> {
    await this.handOver();
    for (const c of [...this.unreleased]) await c.release();
    await this.fleet.stop();
    await this.fleet.pool.end().catch(() => {});
  }
}

class TurnClaimImpl implements TurnClaim {
  private readonly owner: GatewayFleet;
  private readonly claim: SessionClaim;
  private released = false;

  constructor(owner: GatewayFleet, claim: SessionClaim) {
    this.owner = owner;
    this.claim = claim;
  }

  get sessionKey(): string {
    return this.claim.sessionKey;
  }

  async held(): Promise<boolean> {
    const f = this.owner.fleet;
    if (this.released || !f.member.alive(COMMIT_MARGIN_MS)) return false;
    return f.holds(this.claim);
  }

  async release(): Promise<void> {
    if (this.released) return;
    try {
      await this.owner.fleet.releaseSession(this.claim);
      this.released = true;
      this.owner.noteUnreleased(this, false);
    } catch {
      this.owner.noteUnreleased(this, true);
    }
  }
}
