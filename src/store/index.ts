// One handle on the database with every store built on it. Each store
// prepares its statements once, here, and reuses them for the life of the
// handle. Several handles (the daemon and a CLI command) may share a file:
// WAL lets readers run beside the one writer, and writers wait up to 5 s.
import { SqliteCronStore } from "./cron.ts";
import { SqliteCursorStore } from "./cursors.ts";
import { openDatabase, transaction as tx, type Db } from "./db.ts";
import { SqliteDeliveryStore } from "./delivery.ts";
import { StoreHealth } from "./health.ts";
import { SqliteToolJournal } from "./journal.ts";
import { SqliteKvStore } from "./kv.ts";
import { SqlitePairingStore } from "./pairing.ts";
import { SessionWrites } from "./session-writes.ts";
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
  journal: SqliteToolJournal;
  cursors: SqliteCursorStore;
  /** whether writes work right now (disk full, read-only …) */
  health: StoreHealth;
  /** every session written through this handle, as it is written */
  sessionWrites: SessionWrites;
  /** a small write that needs new space (health's prober); throws while the store cannot take it */
  probe(): void;
  /** closes the connection; later calls do nothing */
  close(): void;
}

/** Opens (creating and migrating when needed) the database at `file`; see openDatabase for the errors. */
export function openStore(file: string, opts: { probeEveryMs?: number } = {}): Store {
  const db = openDatabase(file);
  let open = true;
  const health = new StoreHealth(opts.probeEveryMs !== undefined ? { probeEveryMs: opts.probeEveryMs } : {});
  const probeIn = db.prepare("INSERT OR REPLACE INTO kv (key, value, updated_at) VALUES ('store_probe', ?, ?)");
  const probeOut = db.prepare("DELETE FROM kv WHERE key = 'store_probe'");
  // a page's worth of new data: an update in place could succeed on a full disk
  const filler = JSON.stringify("x".repeat(8192));
  const probe = () => {
    tx(db, () => probeIn.run(filler, Date.now()));
    probeOut.run();
  };
  health.setProbe(probe);
  const sessionWrites = new SessionWrites();
  return {
    file,
    db,
    sessions: new SqliteSessionStore(db, sessionWrites),
    sessionWrites,
    delivery: new SqliteDeliveryStore(db),
    pairing: new SqlitePairingStore(db),
    cron: new SqliteCronStore(db),
    kv: new SqliteKvStore(db),
    journal: new SqliteToolJournal(db),
    cursors: new SqliteCursorStore(db),
    health,
    probe,
    close() {
      if (!open) return;
      open = false;
      health.stop();
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
export { SessionWrites, type SessionWriteListener } from "./session-writes.ts";
export { SqliteDeliveryStore } from "./delivery.ts";
export { SqlitePairingStore, newPairingCode, normalizePairingCode, PAIRING_ALPHABET, PAIRING_CODE_LENGTH } from "./pairing.ts";
export { SqliteCronStore, CRON_RUNS_KEPT } from "./cron.ts";
export { SqliteKvStore } from "./kv.ts";
export { SqliteToolJournal, type JournalEntry } from "./journal.ts";
export { SqliteCursorStore } from "./cursors.ts";
export { StoreHealth, storeFault, type StoreFault, type StoreState, type StoreHealthSnapshot } from "./health.ts";
export { pruneAnswered, vacuumStore, startRetention, DEFAULT_RETENTION_DAYS } from "./retention.ts";
export type * from "./types.ts";
