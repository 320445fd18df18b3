// LeaseKeeper: holds as many of the wanted channel leases as it can and tells
// the daemon when to start and stop each channel account. This is the seam to
// the gateway's channel set: onAcquire(resource, lease) starts the adapter,
// onLose(resource, why) stops it.
//
// Every `renewMs` the keeper renews what it holds and tries what it does not.
// Independently of the database, a holder stops at its local deadline (the
// last successful renewal's send time plus the TTL): a keeper that cannot
// reach the database, or was paused (SIGSTOP, a long GC), gives the channel
// up on its own before anyone else can have taken it.
//
// The callbacks never hold up a round: a channel that takes seconds to come
// online must not delay the renewal of the others. So onAcquire runs on its
// own, and onLose may come while it is still running: the lease's signal
// aborts at that moment (the channel lifecycle's "ends when ctx.signal
// aborts"). A lease given back (config change, failed start, shutdown) is
// released only after onLose has finished, so the next owner never polls
// while this one still does.
import type pg from "pg";
import { LEASE_RENEW_MS, LEASE_TTL_MS, release, renew, tryAcquire } from "./leases.ts";
import { pgReason } from "./pool.ts";

/** the holder stops this long before the TTL runs out, for clock-rate differences and its own latency */
const SAFETY_MS = 500;

export type LoseReason = "expired" | "taken" | "released";

export interface Lease {
  readonly resource: string;
  /** fencing token: increases with every acquisition of this resource */
  readonly epoch: number;
  /** true while this process may act on the resource */
  valid(): boolean;
  /** aborts when the lease is lost or given back: hand it to the channel adapter */
  readonly signal: AbortSignal;
}

export interface LeaseKeeperOptions {
  pool: pg.Pool;
  /** this member's id (fleet_members.id) */
  owner: string;
  /** the leases wanted, e.g. ["telegram:default", "discord:ops"]; a function is asked every round (config reloads) */
  resources: string[] | (() => string[]);
  onAcquire: (resource: string, lease: Lease) => void | Promise<void>;
  onLose: (resource: string, why: LoseReason) => void | Promise<void>;
  ttlMs?: number;
  renewMs?: number;
  /** told about a failed database round (the keeper keeps trying) */
  onError?: (reason: string) => void;
}

interface Held {
  epoch: number;
  deadline: number;
  lease: Lease;
  abort: AbortController;
  watchdog: NodeJS.Timeout;
}

export class LeaseKeeper {
  private readonly o: Required<Omit<LeaseKeeperOptions, "onError">> & Pick<LeaseKeeperOptions, "onError">;
  private readonly held = new Map<string, Held>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** callbacks and give-backs still running (stop() waits for them) */
  private readonly pending = new Set<Promise<void>>();

  constructor(opts: LeaseKeeperOptions) {
    const ttlMs = opts.ttlMs ?? LEASE_TTL_MS;
    const renewMs = opts.renewMs ?? LEASE_RENEW_MS;
    if (renewMs * 2 + SAFETY_MS > ttlMs) throw new Error(`lease renewal every ${renewMs} ms cannot keep a ${ttlMs} ms lease: renew at most every (ttl - ${SAFETY_MS}) / 2 ms`);
    this.o = { ...opts, ttlMs, renewMs };
  }

  /** Starts the rounds; the first runs now. */
  start(): void {
    this.stopped = false;
    this.kick();
  }

  /** Runs a round now instead of at the next tick (the wanted resources changed); a round in progress is not doubled. */
  wake(): void {
    if (this.stopped || this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.kick();
  }

  /** What this keeper holds now, with epochs. */
  holdings(): { resource: string; epoch: number }[] {
    return [...this.held].map(([resource, h]) => ({ resource, epoch: h.epoch }));
  }

  lease(resource: string): Lease | undefined {
    return this.held.get(resource)?.lease;
  }

  private kick(): void {
    if (this.stopped) return;
    this.running = this.round().finally(() => {
      this.running = undefined;
      if (this.stopped) return;
      this.timer = setTimeout(() => this.kick(), this.o.renewMs);
      this.timer.unref();
    });
  }

  /** One round: renew held leases (all at once: one slow renewal must not starve the others), then try free ones. */
  private async round(): Promise<void> {
    const wanted = new Set(typeof this.o.resources === "function" ? this.o.resources() : this.o.resources);
    const renewOne = async (resource: string, h: Held): Promise<void> => {
      if (!wanted.has(resource)) return this.drop(resource, "released", true);
      if (performance.now() >= h.deadline) return this.drop(resource, "expired", false);
      const sent = performance.now();
      let ok: boolean;
      try {
        ok = await renew(this.o.pool, resource, this.o.owner, h.epoch, this.o.ttlMs);
      } catch (err) {
        // the watchdog stops the channel at the deadline if this goes on
        return this.o.onError?.(`renewing ${resource}: ${pgReason(err)}`);
      }
      if (this.stopped || this.held.get(resource) !== h) return;
      if (ok) this.extend(resource, h, sent);
      else this.drop(resource, "taken", false);
    };
    await Promise.all([...this.held].map(([resource, h]) => renewOne(resource, h)));
    for (const resource of wanted) {
      if (this.stopped || this.held.has(resource)) continue;
      const sent = performance.now();
      let epoch: number | null;
      try {
        epoch = await tryAcquire(this.o.pool, resource, this.o.owner, this.o.ttlMs);
      } catch (err) {
        this.o.onError?.(`acquiring ${resource}: ${pgReason(err)}`);
        continue;
      }
      if (epoch === null) continue;
      if (this.stopped) {
        await release(this.o.pool, resource, this.o.owner, epoch).catch(() => {});
        continue;
      }
      const h = this.hold(resource, epoch, sent);
      this.track(
        (async () => {
          try {
            await this.o.onAcquire(resource, h.lease);
          } catch (err) {
            // a channel that cannot start gives the lease back so another gateway can try
            this.o.onError?.(`starting ${resource}: ${(err as Error).message}`);
            if (this.held.get(resource) === h) this.drop(resource, "released", true);
          }
        })(),
      );
    }
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private hold(resource: string, epoch: number, sent: number): Held {
    const h = { epoch, deadline: 0, abort: new AbortController() } as Held;
    h.lease = { resource, epoch, signal: h.abort.signal, valid: () => !this.stopped && this.held.get(resource) === h && performance.now() < h.deadline };
    this.held.set(resource, h);
    this.extend(resource, h, sent);
    return h;
  }

  private extend(resource: string, h: Held, sent: number): void {
    h.deadline = sent + this.o.ttlMs - SAFETY_MS;
    this.arm(resource, h);
  }

  /** the watchdog: drops the lease at its deadline (timers may fire a little early: re-armed then) */
  private arm(resource: string, h: Held): void {
    if (h.watchdog) clearTimeout(h.watchdog);
    h.watchdog = setTimeout(() => {
      if (this.held.get(resource) !== h) return;
      if (performance.now() >= h.deadline) this.drop(resource, "expired", false);
      else this.arm(resource, h);
    }, Math.max(1, Math.ceil(h.deadline - performance.now())));
    h.watchdog.unref();
  }

  /** Forgets the lease now (valid() turns false, the signal aborts); onLose and the give-back run on their own. */
  private drop(resource: string, why: LoseReason, giveBack: boolean): void {
    const h = this.held.get(resource);
    if (!h) return;
    this.held.delete(resource);
    clearTimeout(h.watchdog);
    h.abort.abort(new Error(`lease ${resource} ${why}`));
    this.track(
      (async () => {
        try {
          await this.o.onLose(resource, why);
        } catch (err) {
          this.o.onError?.(`stopping ${resource}: ${(err as Error).message}`);
        }
        if (giveBack) {
          await release(this.o.pool, resource, this.o.owner, h.epoch).catch((err) => this.o.onError?.(`releasing ${resource}: ${pgReason(err)}`));
        }
      })(),
    );
  }

  /**
   * Stops the rounds and forgets every lease without a callback or a word to
   * the database, as a process killed with SIGKILL would (tests: a takeover
   * after the TTL).
   */
  halt(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const h of this.held.values()) clearTimeout(h.watchdog);
    this.held.clear();
  }

  /** Stops the rounds, stops every held channel and gives its lease back (clean shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    for (const resource of [...this.held.keys()]) this.drop(resource, "released", true);
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
