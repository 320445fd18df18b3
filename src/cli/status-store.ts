// What `switchboard status` reads from the store the gateways use: queue
// counts and the newest dead letters (either backend); on PostgreSQL also the
// router state the fleet shares (cooldowns and last errors, so a machine
// without a gateway sees what the fleet sees) and the fleet itself (members,
// channel owners, lease ages), shown by default there. A store that cannot be
// used is reported with its fix instead of hiding the rest of the status.
import { existsSync } from "node:fs";
import { fleetUrlFrom, readFleet } from "../fleet/report.ts";
import { pgRouterHealth } from "../fleet/router-health.ts";
import type { FleetStatus } from "../fleet/status.ts";
import { readRouterState, type RouterPersisted } from "../providers/router/state-store.ts";
import type { StoreLocation } from "../store/location.ts";
import type { PgBackend } from "../store/pg/index.ts";
import { openCommandStore, shownLocation, storeProblem, type StoreProblem } from "./store-open.ts";

export interface StoreSection {
  kind: StoreLocation["kind"];
  location: string;
  queues: { inboundPending: number; outboundPending: number; dead: number } | null;
  dead: { channel: string; chatId: string; attempts: number; error: string | undefined; at: string }[];
  /** set when the store cannot be used: what went wrong, the fix, the exit code */
  problem?: StoreProblem;
}

/** The router state the fleet shares, or undefined when no gateway has written any (no router tables yet). */
async function sharedRouterState(store: PgBackend): Promise<RouterPersisted | undefined> {
  const t = await store.pool.query<{ ok: boolean }>("SELECT to_regclass('router_targets') IS NOT NULL AS ok");
  if (!t.rows[0]?.ok) return undefined;
  const shared = await pgRouterHealth(store.pool, { writer: "switchboard-status", pollMs: 60_000 });
  try {
    return shared.load();
  } finally {
    shared.close?.();
  }
}

/**
 * Queues and dead letters from the store at `location`; `routerFile` is the
 * router state this machine saved, used unless the store is PostgreSQL and
 * holds the fleet's. A missing SQLite file is no store yet, not an error.
 */
export async function readStoreSection(location: StoreLocation, routerFile: string): Promise<{ section: StoreSection; router: RouterPersisted | undefined }> {
  const section: StoreSection = { kind: location.kind, location: shownLocation(location), queues: null, dead: [] };
  let router = readRouterState(routerFile);
  if (location.kind === "sqlite" && !existsSync(location.file)) return { section, router };
  let store;
  try {
    store = await openCommandStore(location);
  } catch (err) {
    section.problem = storeProblem(location, (err as Error).cause ?? err);
    return { section, router };
  }
  try {
    section.queues = await store.delivery.counts();
    section.dead = (await store.delivery.deadLetters(10)).map((d) => ({ channel: d.channel, chatId: d.chatId, attempts: d.attempts, error: d.lastError, at: new Date(d.createdAt).toISOString() }));
    if (store.kind === "postgres") router = (await sharedRouterState(store as PgBackend)) ?? router;
  } catch (err) {
    section.problem = storeProblem(location, err);
  } finally {
    await store.close().catch(() => undefined);
  }
  return { section, router };
}

export interface FleetSection {
  fleet: FleetStatus | { error: string };
  /** whether the user asked with --fleet: an unreadable fleet then fails the command */
  requested: boolean;
}

/**
 * The fleet to show: `--fleet URL` that database; `--fleet` alone the store's
 * PostgreSQL database (else SWITCHBOARD_DATABASE_URL, else a usage error);
 * without the flag, the store's database when it is PostgreSQL and could be
 * read (its problem is already reported), else none.
 */
export async function readFleetSection(flag: string | boolean | undefined, location: StoreLocation, store: StoreSection, env: NodeJS.ProcessEnv): Promise<FleetSection | undefined> {
  const storeUrl = location.kind === "postgres" ? location.url : undefined;
  if (!flag && (!storeUrl || store.problem)) return undefined;
  const url = typeof flag === "string" && flag ? flag : (storeUrl ?? fleetUrlFrom(flag, env));
  return { fleet: await readFleet(url), requested: Boolean(flag) };
}
