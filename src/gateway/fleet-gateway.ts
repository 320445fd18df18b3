// The daemon's side of a fleet (several gateways on one PostgreSQL): joins
// the fleet (src/fleet startFleet), keeps one lease per channel account and
// one for the heartbeat, and implements the hooks of fleet-hooks.ts:
//   - channels: started here while their lease is held (fleet-channels.ts);
//   - sessions: claimed per turn; every second, sessions whose messages
//     wait unclaimed (stored by a gateway that then died, or waiting for a
//     turn slot on a busy one) are taken up here;
//   - outbox: drained by the channel's lease holder only, each send fenced by
//     the lease epoch; replies stored elsewhere arrive by LISTEN/NOTIFY;
//   - cron fires once across the fleet; the heartbeat beats on one gateway.
// Log lines an operator (and the multi-process tests) can follow:
//   "fleet: joined"                               member id, at start
//   "fleet: channel started here (lease acquired)" (fleet-channels.ts)
//   "fleet: lease acquired" / "fleet: lease lost" resource, epoch / why
//   "fleet: taking up sessions left waiting"      (debug) sessions adopted by the scan
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
export const ADOPT_EVERY_MS = 1000;
/**
 * messages waiting this long without a claim are taken up by any gateway:
 * those a dead gateway stored, and those a busy one queued for a turn slot
 * (so a fleet shares the turns of a channel only one gateway reads)
 */
export const ADOPT_AFTER_MS = 1000;
/** sessions taken up per look */
const ADOPT_BATCH = 16;
/** a claim is trusted for a reply's commit only with this much life left (see TurnClaim.held), at most a third of the member TTL */
const COMMIT_MARGIN_MS = 2000;

export interface GatewayFleetOptions {
  /** the store's postgres:// URL */
  url: string;
  logger: Logger;
  memberId?: string;
  leaseTtlMs?: number;
  renewMs?: number;
  memberTtlMs?: number;
  heartbeatMs?: number;
  adoptEveryMs?: number;
  adoptAfterMs?: number;
}

/** The daemon's parts the fleet drives, given once they exist (begin). */
export interface FleetWiring {
  channels: LeasedChannels;
  /** runs a session's waiting messages here (the pipeline schedules it; its claim decides) */
  wakeSession: (sessionKey: string) => void;
  /** sends what is due on a channel, or on every channel */
  kickOutbox: (channel?: string) => void;
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
  /** the router's shared state; every runtime (one per reload) borrows it */
  readonly router: SharedRouterState;
  private readonly o: GatewayFleetOptions;
  private readonly log: Logger;
  private w: FleetWiring | undefined;
  private listener: OutboxListener | undefined;
  private adopt: NodeJS.Timeout | undefined;
  private leading = false;
  private handedOver = false;
  /** releases that failed (the database was away), retried by the adopt timer */
  private readonly unreleased = new Set<TurnClaimImpl>();

  private constructor(o: GatewayFleetOptions, fleet: Fleet, router: SharedRouterState) {
    this.o = o;
    this.log = o.logger;
    this.fleet = fleet;
    this.router = router;
  }

  /**
   * Joins the fleet and reads the shared router state. No lease is taken
   * yet: the daemon builds its parts (with this as their hooks) and then
   * calls begin().
   */
  static async start(o: GatewayFleetOptions): Promise<GatewayFleet> {
    const log = o.logger;
    let gf: GatewayFleet | undefined;
    // channel fences hold a connection while they send: more than the fleet's default four
    const pool = fleetPool(o.url, { max: 8 });
    try {
      const fleet = await startFleet({
        pool,
        ...(o.memberId ? { memberId: o.memberId } : {}),
        channels: () => (gf?.w && !gf.handedOver ? [...gf.w.channels.accounts(), HEARTBEAT_LEASE] : []),
        onAcquire: (resource, lease) => gf?.acquired(resource, lease) ?? Promise.resolve(),
        onLose: (resource, why) => gf?.lost(resource, why) ?? Promise.resolve(),
        onError: (reason) => log.warn({ reason }, "fleet: coordination query failed; retrying"),
        ...(o.leaseTtlMs ? { leaseTtlMs: o.leaseTtlMs } : {}),
        ...(o.renewMs ? { renewMs: o.renewMs } : {}),
        ...(o.memberTtlMs ? { memberTtlMs: o.memberTtlMs } : {}),
        ...(o.heartbeatMs ? { heartbeatMs: o.heartbeatMs } : {}),
      });
      const router = await sharedRouterState(fleet, log);
      gf = new GatewayFleet(o, fleet, router);
      log.info({ member: fleet.id }, "fleet: joined");
      return gf;
    } catch (err) {
      await pool.end().catch(() => {});
      throw new Error(`cannot join the fleet: ${pgReason(err)}`, { cause: err });
    }
  }

  /** The daemon's parts exist: take leases, listen for replies stored elsewhere, take up waiting sessions. */
  async begin(w: FleetWiring): Promise<void> {
    this.w = w;
    this.listener = new OutboxListener({
      url: this.o.url,
      onChannel: (ch) => {
        if (w.channels.holds(ch)) w.kickOutbox(ch);
      },
      onConnected: () => w.kickOutbox(),
      onError: (reason) => this.log.warn({ reason }, "fleet: outbox notifications interrupted; the outbox poll covers meanwhile"),
    });
    await this.listener.start();
    this.adopt = setInterval(() => void this.adoptWaiting(), this.o.adoptEveryMs ?? ADOPT_EVERY_MS);
    this.adopt.unref();
    this.fleet.keeper.wake();
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
    if (!id || !this.w) return;
    await this.w.channels.acquired(id);
    this.w.kickOutbox(id); // replies other gateways stored while nobody held it
  }

  private async lost(resource: string, why: LoseReason): Promise<void> {
    this.log[why === "released" ? "info" : "warn"]({ resource, why, member: this.id }, "fleet: lease lost");
    if (resource === HEARTBEAT_LEASE) {
      this.leading = false;
      return;
    }
    const id = accountChannel(resource);
    if (id) await this.w?.channels.lost(id);
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
    drains: (channel: string): boolean => this.w?.channels.holds(channel) === true && this.fleet.keeper.lease(channelAccount(channel))?.valid() === true,
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

  status(): Promise<FleetStatus> {
    return this.fleet.status();
  }

  /** sessions whose messages wait without a live claim: run them here (the claim decides who) */
  private async adoptWaiting(): Promise<void> {
    for (const c of [...this.unreleased]) await c.release();
    if (this.handedOver || !this.w || !this.fleet.member.alive()) return;
    try {
      const keys = await unclaimedPendingSessions(this.fleet.pool, Date.now() - (this.o.adoptAfterMs ?? ADOPT_AFTER_MS), ADOPT_BATCH, this.fleet.member.ttlMs);
      if (keys.length === 0) return;
      this.log.debug({ sessions: keys.length, member: this.id }, "fleet: taking up sessions left waiting");
      for (const k of keys) this.w?.wakeSession(k);
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
    await this.listener?.stop();
    await this.fleet.keeper.stop();
  }

  /** Stops every timer and forgets every lease without telling the database, as SIGKILL would (tests: takeover after the TTL). */
  async halt(): Promise<void> {
    this.handedOver = true;
    clearInterval(this.adopt);
    this.fleet.keeper.halt();
    this.fleet.member.halt();
    this.router.close();
    await this.listener?.stop();
  }

  /** last step: leave the fleet (claims free at once) and close the pool */
  async stop(): Promise<void> {
    await this.handOver();
    for (const c of [...this.unreleased]) await c.release();
    this.router.close();
    await this.fleet.stop();
    await this.fleet.pool.end().catch(() => {});
  }
}

export interface SharedRouterState {
  stateStore: RouterStateStore;
  counters: RouterCounters;
  /** ends the polling (the fleet's stop) */
  close(): void;
}

/**
 * The router's round-robin positions, rpm windows and cooldowns shared with
 * the fleet. A reload builds a new router and closes the old one: the pair
 * handed to routers ignores close(), the fleet closes them once at the end.
 */
async function sharedRouterState(fleet: Fleet, log: Logger): Promise<SharedRouterState> {
  const onError = (reason: string) => log.warn({ reason }, "fleet: shared router state");
  const health = await pgRouterHealth(fleet.pool, { writer: fleet.id, onError });
  const counters = pgCounters(fleet.pool, { onError });
  return {
    stateStore: { load: () => health.load(), save: (s, opts) => health.save(s, opts), watch: (fn) => health.watch?.(fn), close: () => {} },
    counters: { ...counters, close: () => {} },
    close: () => {
      health.close?.();
      void Promise.resolve(counters.close()).catch(() => {});
    },
  };
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
    if (this.released || !f.member.alive(Math.min(COMMIT_MARGIN_MS, f.member.ttlMs / 3))) return false;
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
