// A pg.Pool from a postgres:// URL for the fleet's coordination queries.
// Deliberately tiny: the PostgreSQL store (src/store/pg) builds its own pool
// from the same URL; the two can be merged into one helper once both land.
import pg from "pg";
import { EXIT_CONFIG, SwitchboardError } from "../core/errors.ts";

export interface FleetPoolOptions {
  /** connections this process may open (coordination needs few: default 4) */
  max?: number;
  /** shown in pg_stat_activity, so a DBA can tell gateways apart */
  applicationName?: string;
  /** where the URL came from, for the error message (default "store.url") */
  source?: string;
}

/** Checks that `url` is a PostgreSQL URL; the error names where it came from and how to fix it. */
export function checkPostgresUrl(url: string, source = "store.url"): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SwitchboardError("config_invalid", `${source}: not a URL; use postgres://user:password@host:5432/database`, { exitCode: EXIT_CONFIG });
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new SwitchboardError("config_invalid", `${source}: a fleet needs a postgres:// URL, got ${parsed.protocol}//…; use postgres://user:password@host:5432/database`, {
      exitCode: EXIT_CONFIG,
    });
  }
  return parsed;
}

export function fleetPool(url: string, opts: FleetPoolOptions = {}): pg.Pool {
  checkPostgresUrl(url, opts.source);
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 4,
    application_name: opts.applicationName ?? "switchboard-fleet",
    // a coordination query that cannot get a connection quickly is better failed
    // (the lease keeper's local deadline then stops the channel) than queued
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
  });
  // an idle client that loses its server connection must not crash the process
  pool.on("error", () => {});
  return pool;
}

/** A one-line reason for a database error, without the URL or any password. */
export function pgReason(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return `${e.code ? `${e.code} ` : ""}${(e.message ?? String(err)).replace(/postgres(ql)?:\/\/\S+/g, "postgres://…")}`;
}
