// The key/value table on PostgreSQL (../kv.ts): values are JSON text.
import type { AsyncKvStore } from "../backend.ts";
import type { Sql } from "./sql.ts";

export class PgKvStore implements AsyncKvStore {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const { rows } = await this.sql.query<{ value: string }>("SELECT value FROM kv WHERE key = $1", [key]);
    return rows[0] ? (JSON.parse(rows[0].value) as T) : undefined;
  }

  /** `undefined` deletes the key (JSON has no undefined). */
  async set(key: string, value: unknown, now: number = Date.now()): Promise<void> {
    const json = JSON.stringify(value);
    if (json === undefined) {
      await this.delete(key);
      return;
    }
    await this.sql.query("INSERT INTO kv (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at", [key, json, now]);
  }

  /**
   * the keys starting with `prefix` and their values, at most `limit` of them, by key;
   * starts_with, not a key range: under the database's collation a range need not hold only the prefix's keys
   */
  async entries<T = unknown>(prefix: string, limit: number): Promise<[string, T][]> {
    if (!prefix) throw new RangeError("a key prefix must not be empty");
    const { rows } = await this.sql.query<{ key: string; value: string }>("SELECT key, value FROM kv WHERE starts_with(key, $1) ORDER BY key LIMIT $2", [prefix, limit]);
    return rows.map((r) => [r.key, JSON.parse(r.value) as T]);
  }

  async delete(key: string): Promise<boolean> {
    return ((await this.sql.query("DELETE FROM kv WHERE key = $1", [key])).rowCount ?? 0) > 0;
  }
}
