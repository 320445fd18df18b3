// The router's target health (cooldowns, error counts, last errors) in
// PostgreSQL, shared by a fleet: when one gateway puts a key into cooldown
// after a 429, the others stop calling it too.
//
// One row per target key, each write bumping a global revision. A gateway
// writes only the targets that changed since it last wrote or read them (so
// it never overwrites another gateway's newer record with a stale copy of its
// own), and polls for rows other gateways wrote since the last revision it
// saw, handing them to the router (watch). Last writer wins per target.
import type pg from "pg";
import { parseRouterState, type RouterPersisted, type RouterStateStore } from "../providers/router/state-store.ts";
import { pgReason } from "./pool.ts";

const POLL_MS = 2000;
/**
 * revisions are taken before commit, so a row can become visible after a
 * higher one: each poll re-reads this many revisions below the newest seen
 * (rows already known are recognised and not applied again)
 */
const REV_OVERLAP = 100;

/** JSON with sorted keys: the same record compares equal however it was built (jsonb reorders keys) */
function canon(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canon).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canon((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

type Target = RouterPersisted["targets"][number];

export interface PgHealthOptions {
  /** this gateway's member id (rows it wrote are not read back) */
  writer: string;
  pollMs?: number;
  onError?: (reason: string) => void;
}

interface Row {
  key: string;
  state: Omit<Target, "key">;
  rev: string;
}

export async function pgRouterHealth(pool: pg.Pool, opts: PgHealthOptions): Promise<RouterStateStore & { pull(): Promise<void> }> {
  const last = new Map<string, string>();
  /** every target as this gateway knows it now: what a router built later (a reload) starts from */
  const known = new Map<string, Row>();
  let rev = 0;
  let apply: ((changed: RouterPersisted) => void) | undefined;
  let writing: Promise<void> = Promise.resolve();
  let stopped = false;
  let failing = false;
  const told = (what: string, err: unknown) => {
    if (!failing) opts.onError?.(`shared router state (${what}): ${pgReason(err)}; cooldowns stay per gateway until the database answers`);
    failing = true;
  };

  /** rows as router state; rows that do not parse (a newer gateway's format) are skipped */
  const toState = (rows: Row[]): RouterPersisted => {
    const doc = parseRouterState(JSON.stringify({ version: 2, savedAt: Date.now(), targets: rows.map((r) => ({ ...r.state, key: r.key })) }));
    if (doc) return doc;
    const targets = rows.flatMap((r) => parseRouterState(JSON.stringify({ version: 2, savedAt: 0, targets: [{ ...r.state, key: r.key }] }))?.targets ?? []);
    return { version: 2, savedAt: Date.now(), targets };
  };
  /** the rows not already known as they are; remembers them */
  const remember = (rows: Row[]): Row[] => {
    const fresh: Row[] = [];
    for (const r of rows) {
      rev = Math.max(rev, Number(r.rev));
      const json = canon({ ...r.state, key: r.key });
      if (last.get(r.key) === json) continue;
      last.set(r.key, json);
      known.set(r.key, r);
      fresh.push(r);
    }
    return fresh;
  };

  remember((await pool.query<Row>("SELECT key, state, rev FROM router_targets ORDER BY rev")).rows);

  const pull = async (): Promise<void> => {
    const r = await pool.query<Row & { writer: string }>("SELECT key, state, rev, writer FROM router_targets WHERE rev > $1 ORDER BY rev", [rev - REV_OVERLAP]);
    failing = false;
    for (const row of r.rows) rev = Math.max(rev, Number(row.rev));
    // our own rows are never applied back: what this gateway knows of them is at least as new
    const fresh = remember(r.rows.filter((row) => row.writer !== opts.writer));
    if (fresh.length > 0) apply?.(toState(fresh));
  };
  const timer = setInterval(() => void pull().catch((err) => told("reading", err)), opts.pollMs ?? POLL_MS);
  timer.unref();

  const write = async (targets: Target[]) => {
    for (const t of targets) {
      const { key, ...state } = t;
      await pool.query(
        `INSERT INTO router_targets (key, state, writer) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET state = EXCLUDED.state, writer = EXCLUDED.writer, rev = nextval('router_targets_rev')`,
        [key, JSON.stringify(state), opts.writer],
      );
    }
    failing = false;
  };

  return {
    load: () => (known.size > 0 ? toState([...known.values()]) : undefined),
    save(state) {
      if (stopped) return;
      const changed = state.targets.filter((t) => {
        const json = canon(t);
        if (last.get(t.key) === json) return false;
        last.set(t.key, json);
        const { key, ...rest } = t;
        known.set(key, { key, state: rest, rev: "0" });
        return true;
      });
      if (changed.length === 0) return;
      // writes go out in order, one at a time; every save is urgent for a fleet
      writing = writing.then(() => write(changed)).catch((err) => told("writing", err));
    },
    flush() {
      // writes are already on their way; close() waits for none (shutdown must not hang on the database)
    },
    watch(fn) {
      apply = fn;
    },
    close() {
      stopped = true;
      clearInterval(timer);
    },
    pull,
  };
}
