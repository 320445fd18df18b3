// A small key/value table for odds and ends that must survive a restart
// (e.g. "last_active_chat" for the heartbeat). Values are JSON.
import type { Db } from "./db.ts";
import type { KvStore } from "./types.ts";

export class SqliteKvStore implements KvStore {
  private readonly q;

  constructor(db: Db) {
    this.q = {
      get: db.prepare("SELECT value FROM kv WHERE key = ?"),
      set: db.prepare(
        "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
      ),
      del: db.prepare("DELETE FROM kv WHERE key = ?"),
      // a prefix as a key range: the primary key's index, no scan
      range: db.prepare("SELECT key, value FROM kv WHERE key >= ? AND key < ? ORDER BY key LIMIT ?"),
    };
  }

  /** the keys starting with `prefix` and their values, at most `limit` of them, by key */
  entries<T = unknown>(prefix: string, limit: number): [string, T][] {
    const [from, to] = prefixRange(prefix);
    return (this.q.range.all(from, to, limit) as { key: string; value: string }[]).map((r) => [r.key, JSON.parse(r.value) as T]);
  }

  get<T = unknown>(key: string): T | undefined {
    const row = this.q.get.get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  /** `undefined` deletes the key (JSON has no undefined). */
  set(key: string, value: unknown, now: number = Date.now()): void {
    const json = JSON.stringify(value);
    if (json === undefined) {
      this.delete(key);
      return;
    }
    this.q.set.run(key, json, now);
  }

  delete(key: string): boolean {
    return Number(this.q.del.run(key).changes) > 0;
  }
}

/** the keys starting with a non-empty `prefix` are those in [prefix, prefix with its last character one higher) */
export function prefixRange(prefix: string): [string, string] {
  if (!prefix) throw new RangeError("a key prefix must not be empty");
  return [prefix, prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)];
}
