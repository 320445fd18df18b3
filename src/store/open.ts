// One handle on the database with every store built on it.
import { SqliteCronStore } from "./cron-store.ts";
import { SqliteDeliveryStore } from "./delivery-store.ts";
import { SqlitePairingStore } from "./pairing-store.ts";
import { SqliteSessionStore } from "./session-store.ts";
import { openDatabase, type Db } from "./sqlite.ts";

export class KvStore {
  private readonly q;
  constructor(db: Db) {
    this.q = {
      get: db.prepare("SELECT value FROM kv WHERE key = ?"),
      set: db.prepare("INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"),
      del: db.prepare("DELETE FROM kv WHERE key = ?"),
    };
  }
  get<T>(key: string): T | undefined {
    const row = this.q.get.get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }
  set(key: string, value: unknown, now = Date.now()): void {
    this.q.set.run(key, JSON.stringify(value), now);
  }
  delete(key: string): void {
    this.q.del.run(key);
  }
}

export interface Store {
  file: string;
  db: Db;
  sessions: SqliteSessionStore;
  delivery: SqliteDeliveryStore;
  pairing: SqlitePairingStore;
  cron: SqliteCronStore;
  kv: KvStore;
  close(): void;
}

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
    kv: new KvStore(db),
    close() {
      if (!open) return;
      open = false;
      db.close();
    },
  };
}
