// The seams through which a fleet of gateways on one PostgreSQL coordinates
// the daemon's parts (src/fleet does the coordinating; fleet-gateway.ts
// implements these). Every hook is optional where it is used: a lone gateway
// (SQLite, or PostgreSQL without other gateways in mind) passes none, and
// the code path is then exactly the one it always was: no query, no promise,
// nothing per message.
import type { AsyncDeliveryStore } from "../store/backend.ts";

/** A session's turn runs on this gateway only while its claim holds (pipeline). */
export interface TurnClaim {
  readonly sessionKey: string;
  /**
   * True while the claim is still this gateway's and will stay so long
   * enough for a commit to land: checked inside the reply's transaction,
   * just before it commits. False: another gateway took the session over
   * (this one was paused or cut off past the member TTL); store nothing.
   */
  held(): Promise<boolean>;
  /** the turn is over; never throws (a release that fails is retried in the background) */
  release(): Promise<void>;
}

export interface SessionClaims {
  /** null: another live gateway runs this session now (it answers what is pending) */
  claim(sessionKey: string): Promise<TurnClaim | null>;
}

/** Which gateway sends a channel's replies: the one holding its lease (outbox). */
export interface OutboxFence {
  /** true while this gateway may drain `channel`'s outbox */
  drains(channel: string): boolean;
  /**
   * Runs one chunk's send and its "sent" mark as one fenced unit: a
   * transaction holding the channel's lease row at this gateway's epoch, so
   * another gateway cannot take the channel over (and read the chunk as
   * unsent) until the mark has committed. Throws FencedError (src/fleet)
   * when the lease moved on: the chunk is then left to the new owner.
   */
  send<T>(channel: string, fn: (delivery: AsyncDeliveryStore) => Promise<T>): Promise<T>;
}

/** Cron fire-once across the fleet (cron service). */
export interface CronFireGate {
  /** true when this gateway fires `jobId`'s run scheduled at `scheduledAt` (epoch ms); false: another one does */
  claimFire(jobId: string, scheduledAt: number): Promise<boolean>;
}

/** The heartbeat beats on one gateway at a time (the holder of the "heartbeat" lease). */
export interface HeartbeatGate {
  leads(): boolean;
}

/** Everything a fleet gives the daemon's parts; absent on a lone gateway. */
export interface FleetHooks {
  sessions: SessionClaims;
  outbox: OutboxFence;
  cron: CronFireGate;
  heartbeat: HeartbeatGate;
}

/** The name of the error a fenced send throws when the lease moved on (checked by name: src/fleet stays out of the outbox's imports). */
export const FENCED_ERROR_NAME = "FencedError";

export function isFenced(err: unknown): boolean {
  return err instanceof Error && err.name === FENCED_ERROR_NAME;
}
