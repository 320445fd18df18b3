// Opens the store where the configuration says (store/location.ts) behind the
// one async interface. The PostgreSQL driver is imported only for a
// PostgreSQL location, so a gateway on SQLite never loads it.
import type { StoreBackend } from "./backend.ts";
import type { StoreLocation } from "./location.ts";
import { openSqliteBackend } from "./sqlite-backend.ts";

export interface OpenBackendOptions {
  /** first wait before probing a faulted store */
  probeEveryMs?: number;
  /** PostgreSQL: connections in the pool */
  maxConnections?: number;
  /** PostgreSQL: how long to wait for a connection before the server counts as unreachable (default 10 s) */
  connectTimeoutMs?: number;
}

/** The store at `location`, created and migrated when needed. Throws SwitchboardError("store") when it cannot be used. */
export async function openBackend(location: StoreLocation, opts: OpenBackendOptions = {}): Promise<StoreBackend> {
  const probe = opts.probeEveryMs !== undefined ? { probeEveryMs: opts.probeEveryMs } : {};
  if (location.kind === "sqlite") return openSqliteBackend(location.file, probe);
  const { openPgStore } = await import("./pg/index.ts");
  return openPgStore(location.url, {
    ...probe,
    ...(opts.maxConnections !== undefined ? { max: opts.maxConnections } : {}),
    ...(opts.connectTimeoutMs !== undefined ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
  });
}
