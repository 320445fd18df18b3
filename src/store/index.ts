// One handle on the database with every store built on it. Each store
// prepares its statements once, here, and reuses them for the life of the
// handle. Several handles (the daemon and a CLI command) may share a file:
// WAL lets readers run beside the one writer, and writers wait up to 5 s.
import { SqliteCronStore } from "./cron.ts";
import { openDatabase, type Db } from "./db.ts";
import { SqliteDeliveryStore } from "./delivery.ts";
import { SqliteKvStore } from "./kv.ts";
import { SqlitePairingStore } from "./pairing.ts";
import { SqliteSessionStore } from "./sessions.ts";

export interface Store {
  /** the path given to openStore (":memory:" for a private in-memory database) */
  file: string;
  /** the raw connection, for tests and maintenance; stores keep their own statements */
  db: Db;
  sessions: SqliteSessionStore;
  delivery: SqliteDeliveryStore;
  pairing: SqlitePairingStore;
  cron: SqliteCronStore;
  kv: SqliteKvStore;
  /** closes the connection; later calls do nothing */
  close(): void;
}

/** Opens (creating and migrating when needed) the database at `file`; see openDatabase for the errors. */
export function openStore(file: string): Store {
  const db = openDatabase(file);
  let open = true;
  return {
    file,
    db,
    sessions: new SqliteSessionStore(db),
    delivery: new SqliteDeliveryStore(db),
    pairing: new SqlitePairingStore(db),
    cron: new SqliteCronStore(db),
    kv: new SqliteKvStore(db),
    close() {
      if (!open) return;
      open = false;
      try {
        db.exec("PRAGMA optimize");
      } catch {
        // best effort: statistics for the query planner
      }
      db.close();
    },
  };
}

export { openDatabase, transaction, SCHEMA_VERSION, type Db } from "./db.ts";
export { SqliteSessionStore } from "./sessions.ts";
export { SqliteDeliveryStore } from "./delivery.ts";
export { SqlitePairingStore, newPairingCode, normalizePairingCode, PAIRING_ALPHABET, PAIRING_CODE_LENGTH } from "./pairing.ts";
export { SqliteCronStore, CRON_RUNS_KEPT } from "./cron.ts";
export { SqliteKvStore } from "./kv.ts";
export type * from "./types.ts";
