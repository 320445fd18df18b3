// The fleet as `status` and /status show it: members (alive or dead, by
// heartbeat age), who owns which channel account with lease ages, and how
// many sessions are claimed. One query round on the database's clock.
import type pg from "pg";
import { liveClaims } from "./claims.ts";
import { listLeases } from "./leases.ts";
import { MEMBER_TTL_MS } from "./members.ts";

export interface LeaseView {
  account: string;
  owner: string | null;
  epoch: number;
  heldForMs: number | null;
  renewedAgoMs: number;
  expiresInMs: number;
}

export interface FleetStatus {
  members: { id: string; host: string; pid: number; startedAt: string; heartbeatAgoMs: number; alive: boolean }[];
  /** channel accounts ("<channel>:<account>") and who runs each */
  channels: LeaseView[];
  /** fleet-wide duties held by one gateway at a time ("heartbeat") */
  duties: LeaseView[];
  claimedSessions: { total: number; byMember: Record<string, number> };
}

export async function fleetStatus(db: pg.Pool | pg.PoolClient, memberTtlMs = MEMBER_TTL_MS): Promise<FleetStatus> {
  const m = await db.query<{ id: string; host: string; pid: number; started_at: Date; ago: number }>(
    "SELECT id, host, pid, started_at, extract(epoch FROM now() - heartbeat_at) * 1000 AS ago FROM fleet_members ORDER BY started_at, id",
  );
  // an expired lease is shown without an owner: nobody may use the channel until it is taken again
  const views: LeaseView[] = (await listLeases(db)).map((l) =>
    l.expiresInMs > 0
      ? { account: l.resource, owner: l.owner, epoch: l.epoch, heldForMs: l.heldForMs, renewedAgoMs: l.renewedAgoMs, expiresInMs: l.expiresInMs }
      : { account: l.resource, owner: null, epoch: l.epoch, heldForMs: null, renewedAgoMs: l.renewedAgoMs, expiresInMs: 0 },
  );
  const claims = await liveClaims(db, memberTtlMs);
  const byMember: Record<string, number> = {};
  for (const c of claims) byMember[c.member] = (byMember[c.member] ?? 0) + 1;
  return {
    members: m.rows.map((r) => {
      const ago = Math.round(Number(r.ago));
      return { id: r.id, host: r.host, pid: r.pid, startedAt: r.started_at.toISOString(), heartbeatAgoMs: ago, alive: ago < memberTtlMs };
    }),
    channels: views.filter((v) => v.account.includes(":")),
    duties: views.filter((v) => !v.account.includes(":")),
    claimedSessions: { total: claims.length, byMember },
  };
}

/** Plain-text lines for `switchboard status`. */
export function fleetLines(s: FleetStatus): string[] {
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
  const lines = [`fleet: ${s.members.filter((m) => m.alive).length} of ${s.members.length} member(s) alive`];
  for (const m of s.members) lines.push(`  member ${m.id} ${m.alive ? "alive" : "DEAD"}, heartbeat ${secs(m.heartbeatAgoMs)} ago`);
  const line = (what: string, c: LeaseView) =>
    c.owner
      ? `  ${what} ${c.account}: ${c.owner} (epoch ${c.epoch}, held ${secs(c.heldForMs ?? 0)}, renewed ${secs(c.renewedAgoMs)} ago)`
      : `  ${what} ${c.account}: no owner (last renewed ${secs(c.renewedAgoMs)} ago, epoch ${c.epoch}; waiting for a gateway to take it)`;
  for (const c of s.channels) lines.push(line("channel", c));
  for (const d of s.duties) lines.push(line("duty", d));
  lines.push(`  sessions claimed: ${s.claimedSessions.total}`);
  return lines;
}
