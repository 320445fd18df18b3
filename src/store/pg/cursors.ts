// Channel cursors on PostgreSQL (../cursors.ts): where each channel left off
// per chat, so whichever gateway takes a channel over resumes from there.
import type { AsyncCursorStore } from "../backend.ts";
import type { Sql } from "./sql.ts";

export class PgCursorStore implements AsyncCursorStore {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  async get(channel: string, scope: string): Promise<string | undefined> {
    return (await this.sql.query<{ cursor: string }>("SELECT cursor FROM channel_cursors WHERE channel = $1 AND scope = $2", [channel, scope])).rows[0]?.cursor;
  }

  async set(channel: string, scope: string, cursor: string, now: number = Date.now()): Promise<void> {
    await this.sql.query(
      "INSERT INTO channel_cursors (channel, scope, cursor, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (channel, scope) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
      [channel, scope, cursor, now],
    );
  }

  /** every scope (chat) of a channel with its cursor */
  async list(channel: string): Promise<{ scope: string; cursor: string }[]> {
    return (await this.sql.query<{ scope: string; cursor: string }>("SELECT scope, cursor FROM channel_cursors WHERE channel = $1 ORDER BY scope", [channel])).rows;
  }
}
