// The fleet's pg.Pool: the store's pool helper (src/store/pg createPool: the
// same driver settings, BIGINT as numbers) with the fleet's URL check and a
// short connection timeout. When the daemon runs on the PostgreSQL store, the
// fleet can share the store's pool instead (startFleet({ pool })).
import type pg from "pg";
import { EXIT_CONFIG, SwitchboardError } from "../core/errors.ts";
import { redactUrl, registerSecrets } from "../core/redact.ts";
import { createPool } from "../store/pg/index.ts";

export interface FleetPoolOptions {
  /** connections this process may open (coordination needs few: default 4) */
  max?: number;
  /** where the URL came from, for the error message (default "store.url") */
  source?: string;
}

/** Checks that `url` is a PostgreSQL URL; the error names where it came from and how to fix it. */
export function checkPostgresUrl(url: string, source = "store.url"): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SwitchboardError("config_invalid", `${source}: not a URL; use postgres://user:password@host:5432/database (a password with @, / or : must be percent-encoded)`, {
      exitCode: EXIT_CONFIG,
    });
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new SwitchboardError("config_invalid", `${source}: a fleet needs a postgres:// URL, got ${parsed.protocol}//…; use postgres://user:password@host:5432/database`, {
      exitCode: EXIT_CONFIG,
    });
  }
  return parsed;
}

export function fleetPool(url: string, opts: FleetPoolOptions = {}): pg.Pool {
  const parsed = checkPostgresUrl(url, opts.source);
  if (parsed.password) registerSecrets([decodeURIComponent(parsed.password)]);
  // a coordination query that cannot get a connection quickly is better failed
  // (the lease keeper's local deadline then stops the channel) than queued
  const pool = createPool(url, { max: opts.max ?? 4, connectTimeoutMs: 5000 });
  // an idle client that loses its server connection must not end the process;
  // the next query fails and its caller (keeper, heartbeat) reports it
  pool.on("error", () => {});
  return pool;
}

/** A one-line reason for a database error, without a URL's password. */
export function pgReason(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return `${e.code ? `${e.code} ` : ""}${redactUrl(e.message ?? String(err))}`;
}
