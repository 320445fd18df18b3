// Session claims: a session's turns run on one gateway at a time, and any
// gateway can run any session. A claim is a row (session_key → member, token).
// It is free when absent, or when its member is dead (no heartbeat within the
// member TTL, or no member row at all): a gateway killed mid-turn does not
// block the session for longer than the TTL.
//
// Claiming is one INSERT … ON CONFLICT DO UPDATE … WHERE: PostgreSQL locks the
// conflicting row and re-checks the WHERE on its newest version, so two
// gateways racing for the same session can never both get it. The token (a
// sequence value, new on every claim) fences: a gateway that was paused past
// the TTL finds its token gone (stillClaimed) before it stores a reply.
import type pg from "pg";
import { aliveSql } from "./members.ts";
import { MEMBER_TTL_MS } from "./members.ts";

export interface SessionClaim {
  sessionKey: string;
  member: string;
  token: number;
}

type Db = pg.Pool | pg.PoolClient;

/**
 * Claims the session for `member`; null when a live member holds it.
 * `reclaimOwn`: a claim this member already holds is taken again (new
 * token). Only for a caller that runs each session once at a time on its
 * own (the gateway's turn slots): a claim whose release failed (the database
 * was away) then does not block the session until this member dies.
 */
export async function claimSession(db: Db, sessionKey: string, member: string, memberTtlMs = MEMBER_TTL_MS, opts: { reclaimOwn?: boolean } = {}): Promise<SessionClaim | null> {
  const own = opts.reclaimOwn ? "c.member = $2 OR " : "";
  const r = await db.query<{ token: string }>(
    `INSERT INTO fleet_session_claims AS c (session_key, member, token) VALUES ($1, $2, nextval('fleet_claim_token'))
     ON CONFLICT (session_key) DO UPDATE SET member = EXCLUDED.member, token = EXCLUDED.token, claimed_at = now()
       WHERE ${own}NOT EXISTS (SELECT 1 FROM fleet_members m WHERE m.id = c.member AND ${aliveSql("m", "$3")})
     RETURNING token`,
    [sessionKey, member, memberTtlMs],
  );
  const row = r.rows[0];
  return row ? { sessionKey, member, token: Number(row.token) } : null;
}

/**
 * Claims the first session of `candidates` (in order) that no live member
 * holds: how a gateway picks its next session among those with pending
 * messages. null when every one is busy.
 */
export async function claimNext(db: Db, candidates: string[], member: string, memberTtlMs = MEMBER_TTL_MS): Promise<SessionClaim | null> {
  for (const key of candidates) {
    const c = await claimSession(db, key, member, memberTtlMs);
    if (c) return c;
  }
  return null;
}

/** True while the claim is still this one (the token fences a paused gateway). */
export async function stillClaimed(db: Db, claim: SessionClaim): Promise<boolean> {
  const r = await db.query("SELECT 1 FROM fleet_session_claims WHERE session_key = $1 AND token = $2", [claim.sessionKey, claim.token]);
  return r.rowCount === 1;
}

/** Ends the claim (the turn is done); false when it was no longer ours. */
export async function releaseSession(db: Db, claim: SessionClaim): Promise<boolean> {
  const r = await db.query("DELETE FROM fleet_session_claims WHERE session_key = $1 AND token = $2", [claim.sessionKey, claim.token]);
  return (r.rowCount ?? 0) === 1;
}

/**
 * Sessions with messages waiting longer than `olderThan` (epoch ms of the
 * gateways' clocks, as inbox.received_at) that no live member has claimed:
 * what a gateway that died after storing them left behind. Oldest first.
 */
export async function unclaimedPendingSessions(db: Db, olderThan: number, limit: number, memberTtlMs = MEMBER_TTL_MS): Promise<string[]> {
  const r = await db.query<{ session_key: string }>(
    `SELECT i.session_key FROM inbox i
     WHERE i.state IN ('pending', 'processing')
     GROUP BY i.session_key
     HAVING min(i.received_at) < $1
        AND NOT EXISTS (SELECT 1 FROM fleet_session_claims c JOIN fleet_members m ON m.id = c.member
                        WHERE c.session_key = i.session_key AND ${aliveSql("m", "$3")})
     ORDER BY min(i.id) LIMIT $2`,
    [olderThan, limit, memberTtlMs],
  );
  return r.rows.map((x) => x.session_key);
}

/** Claims held by live members, for `status`. */
export async function liveClaims(db: Db, memberTtlMs = MEMBER_TTL_MS): Promise<{ sessionKey: string; member: string; ageMs: number }[]> {
  const r = await db.query<{ session_key: string; member: string; age: number }>(
    `SELECT c.session_key, c.member, extract(epoch FROM now() - c.claimed_at) * 1000 AS age
     FROM fleet_session_claims c JOIN fleet_members m ON m.id = c.member
     WHERE ${aliveSql("m", "$1")} ORDER BY c.claimed_at`,
    [memberTtlMs],
  );
  return r.rows.map((x) => ({ sessionKey: x.session_key, member: x.member, ageMs: Math.round(Number(x.age)) }));
}
