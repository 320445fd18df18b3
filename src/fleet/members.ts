// Fleet membership: each gateway process is one row in fleet_members with a
// heartbeat. A member whose heartbeat is older than the TTL is dead; its
// session claims are free for others (claims.ts) and its channel leases run
// out on their own (leases.ts). All ages are measured on the database's clock
// (now()), so gateways with skewed clocks agree on who is alive.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type pg from "pg";
import { pgReason } from "./pool.ts";

/** heartbeat period (ms) */
export const HEARTBEAT_MS = 2000;
/** a member is dead after this long without a heartbeat (ms) */
export const MEMBER_TTL_MS = 6000;

/** A member id unique per process: host, pid and a random part (a restarted pid is a new member). */
export function newMemberId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

export interface MemberOptions {
  id?: string;
  heartbeatMs?: number;
  ttlMs?: number;
  /** told when a heartbeat fails (the database is unreachable …) */
  onError?: (reason: string) => void;
}

export class FleetMember {
  readonly id: string;
  private readonly pool: pg.Pool;
  private readonly every: number;
  readonly ttlMs: number;
  private readonly onError: ((reason: string) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** the heartbeat query in flight, if any */
  private beating: Promise<void> | undefined;
  /** local monotonic time until which our row is surely fresh on the database's clock */
  private freshUntil = 0;

  constructor(pool: pg.Pool, opts: MemberOptions = {}) {
    this.pool = pool;
    this.id = opts.id ?? newMemberId();
    this.every = opts.heartbeatMs ?? HEARTBEAT_MS;
    this.ttlMs = opts.ttlMs ?? MEMBER_TTL_MS;
    this.onError = opts.onError;
  }

  /** Registers (or re-registers) this member and starts the heartbeat. */
  async join(): Promise<void> {
    await this.register();
    this.schedule();
  }

  /**
   * Inserts the row or refreshes its heartbeat. A member that was declared
   * dead comes back as itself: claims it lost stay lost (their tokens changed).
   */
  private async register(): Promise<void> {
    const sent = performance.now();
    await this.pool.query(
      `INSERT INTO fleet_members (id, host, pid) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()`,
      [this.id, hostname(), process.pid],
    );
    // the server stamped the heartbeat no earlier than we sent it
    this.freshUntil = sent + this.ttlMs;
  }

  /**
   * True while others still see this member alive. Work that depends on being
   * alive (a session claim) checks it: after a pause longer than the TTL
   * (SIGSTOP, a long GC, a lost network) the member's claims may be someone else's.
   * `marginMs`: alive for at least that much longer (time for a commit to land).
   */
  alive(marginMs = 0): boolean {
    return !this.stopped && performance.now() + marginMs < this.freshUntil;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.beat(), this.every);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    const beating = this.register().catch((err: unknown) => this.onError?.(pgReason(err)));
    this.beating = beating;
    await beating;
    if (this.beating === beating) this.beating = undefined;
    this.schedule();
  }

  /** Stops the heartbeat and removes the row (its claims become free at once). */
  async leave(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    // a heartbeat still on the wire (another pool connection) could land after the
    // DELETE and bring the row back as a live member: let it land first
    await this.beating;
    await this.pool.query("DELETE FROM fleet_members WHERE id = $1", [this.id]);
  }

  /** Stops the heartbeat without touching the database (tests: a member that goes silent). */
  halt(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

/** SQL condition: member `m` is alive (heartbeat within `$ttl` ms on the database's clock). */
export function aliveSql(alias: string, ttlParam: string): string {
  return `${alias}.heartbeat_at > now() - make_interval(secs => ${ttlParam}::double precision / 1000)`;
}

/** Removes members dead for longer than `olderThanMs` (they keep showing as dead until then). */
export async function pruneMembers(pool: pg.Pool, olderThanMs: number): Promise<number> {
  const r = await pool.query("DELETE FROM fleet_members WHERE heartbeat_at < now() - make_interval(secs => $1::double precision / 1000)", [olderThanMs]);
  return r.rowCount ?? 0;
}

/** true while a process with this pid runs on this machine (in this pid namespace) */
function pidRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // it runs, under another user
  }
}

/**
 * Members registered from this host whose process is gone: a gateway killed
 * and started again (systemd, a container restart, where it may even get the
 * same pid as its previous life, once that one missed a heartbeat) need not wait out its previous life's
 * leases. Their rows are removed (their session claims free at once) and
 * their leases expired. Returns the ids reaped. Gateways sharing a host name
 * must share a pid namespace for this to hold (separate containers have
 * separate host names by default).
 */
export async function reapLocalGhosts(pool: pg.Pool, selfId: string): Promise<string[]> {
  const { rows } = await pool.query<{ id: string; pid: number; age: number }>(
    "SELECT id, pid, extract(epoch FROM now() - heartbeat_at) * 1000 AS age FROM fleet_members WHERE host = $1 AND id <> $2",
    [hostname(), selfId],
  );
  // our own pid is a previous life only once it has missed a heartbeat (several members in one process are alive)
  const gone = rows.filter((r) => (r.pid === process.pid ? Number(r.age) > HEARTBEAT_MS * 1.5 : !pidRuns(r.pid))).map((r) => r.id);
  if (gone.length === 0) return [];
  await pool.query("UPDATE fleet_leases SET expires_at = now() WHERE owner = ANY($1::text[]) AND expires_at > now()", [gone]);
  await pool.query("DELETE FROM fleet_members WHERE id = ANY($1::text[])", [gone]);
  return gone;
}
