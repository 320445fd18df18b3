// Several gateways on one PostgreSQL: the coordination half. startFleet() is
// the seam the daemon uses: it joins the fleet (heartbeat), keeps the channel
// leases it can get (onAcquire/onLose start and stop channel adapters), and
// offers session claims, cron fire-once and the fleet's status.
import type pg from "pg";
import { claimSession, releaseSession, stillClaimed, type SessionClaim } from "./claims.ts";
import { claimCronFire, pruneCronFires } from "./cron.ts";
import { LeaseKeeper, type Lease, type LoseReason } from "./keeper.ts";
import { FleetMember, pruneMembers, reapLocalGhosts } from "./members.ts";
import { fleetPool, pgReason } from "./pool.ts";
import { migrateFleet } from "./schema.ts";
import { fleetStatus, type FleetStatus } from "./status.ts";

export { FencedError, fencedWrite, LEASE_RENEW_MS, LEASE_TTL_MS } from "./leases.ts";
export { HEARTBEAT_MS, MEMBER_TTL_MS, newMemberId } from "./members.ts";
export { fleetLines, type FleetStatus } from "./status.ts";
export { checkPostgresUrl, fleetPool } from "./pool.ts";
export { migrateFleet } from "./schema.ts";
export { pgCounters } from "./router-counters.ts";
export { pgRouterHealth } from "./router-health.ts";
export type { Lease, LoseReason, SessionClaim };

/** dead members stay listed (as DEAD) this long, then housekeeping removes them */
const DEAD_MEMBER_KEPT_MS = 3600_000;
const HOUSEKEEPING_MS = 3600_000;

export interface FleetOptions {
  /** postgres:// URL (store.url / SWITCHBOARD_DATABASE_URL); or pass `pool` */
  url?: string;
  pool?: pg.Pool;
  memberId?: string;
  /** channel accounts this gateway can run, as "<channel>:<account>" */
  channels: string[] | (() => string[]);
  onAcquire: (account: string, lease: Lease) => void | Promise<void>;
  onLose: (account: string, why: LoseReason) => void | Promise<void>;
  onError?: (reason: string) => void;
  leaseTtlMs?: number;
  renewMs?: number;
  memberTtlMs?: number;
  heartbeatMs?: number;
}

export class Fleet {
  readonly pool: pg.Pool;
  readonly member: FleetMember;
  readonly keeper: LeaseKeeper;
  private readonly ownsPool: boolean;
  private readonly housekeeping: NodeJS.Timeout;
  private readonly onError: ((reason: string) => void) | undefined;

  constructor(pool: pg.Pool, ownsPool: boolean, member: FleetMember, keeper: LeaseKeeper, onError?: (reason: string) => void) {
    this.pool = pool;
    this.ownsPool = ownsPool;
    this.member = member;
    this.keeper = keeper;
    this.onError = onError;
    this.housekeeping = setInterval(() => void this.tidy(), HOUSEKEEPING_MS);
    this.housekeeping.unref();
  }

  get id(): string {
    return this.member.id;
  }

  /** Claims a session for a turn on this gateway; null when another live gateway runs it. */
  claimSession(sessionKey: string): Promise<SessionClaim | null> {
    if (!this.member.alive()) return Promise.resolve(null); // others may already think we are dead
    return claimSession(this.pool, sessionKey, this.member.id, this.member.ttlMs);
  }

  /** True while a claim is still ours: check before storing a turn's reply. */
  async holds(claim: SessionClaim): Promise<boolean> {
    return this.member.alive() && (await stillClaimed(this.pool, claim));
  }

  releaseSession(claim: SessionClaim): Promise<boolean> {
    return releaseSession(this.pool, claim);
  }

  /** True when this gateway fires the job's run scheduled at `scheduledAt` (epoch ms). */
  claimCronFire(jobId: string, scheduledAt: number): Promise<boolean> {
    return claimCronFire(this.pool, jobId, scheduledAt, this.member.id);
  }

  status(): Promise<FleetStatus> {
    return fleetStatus(this.pool, this.member.ttlMs);
  }

  private async tidy(): Promise<void> {
    try {
      await pruneMembers(this.pool, DEAD_MEMBER_KEPT_MS);
      await pruneCronFires(this.pool);
    } catch (err) {
      this.onError?.(`fleet housekeeping: ${pgReason(err)}`);
    }
  }

  /** Stops every held channel, gives the leases back and leaves the fleet (clean shutdown). */
  async stop(): Promise<void> {
    clearInterval(this.housekeeping);
    await this.keeper.stop();
    await this.member.leave().catch((err) => this.onError?.(`leaving the fleet: ${pgReason(err)}`));
    if (this.ownsPool) await this.pool.end();
  }
}

/** Migrates, joins the fleet and starts keeping channel leases. */
export async function startFleet(o: FleetOptions): Promise<Fleet> {
  if (!o.pool && !o.url) throw new Error("startFleet needs a postgres:// url or a pool");
  const pool = o.pool ?? fleetPool(o.url!);
  try {
    await migrateFleet(pool);
    const member = new FleetMember(pool, {
      ...(o.memberId ? { id: o.memberId } : {}),
      ...(o.memberTtlMs ? { ttlMs: o.memberTtlMs } : {}),
      ...(o.heartbeatMs ? { heartbeatMs: o.heartbeatMs } : {}),
      ...(o.onError ? { onError: o.onError } : {}),
    });
    await member.join();
    // a previous life of this gateway (killed, restarted) gives its channels back now, not after the TTL
    await reapLocalGhosts(pool, member.id).catch((err) => o.onError?.(`looking for a previous life of this gateway: ${pgReason(err)}`));
    const keeper = new LeaseKeeper({
      pool,
      owner: member.id,
      resources: o.channels,
      onAcquire: o.onAcquire,
      onLose: o.onLose,
      ...(o.leaseTtlMs ? { ttlMs: o.leaseTtlMs } : {}),
      ...(o.renewMs ? { renewMs: o.renewMs } : {}),
      ...(o.onError ? { onError: o.onError } : {}),
    });
    const fleet = new Fleet(pool, !o.pool, member, keeper, o.onError);
    keeper.start();
    return fleet;
  } catch (err) {
    if (!o.pool) await pool.end().catch(() => {});
    throw err;
  }
}
