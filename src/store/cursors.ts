// Where each channel left off per chat (the last message id it stored), for
// channels whose platform does not redeliver what arrived while the gateway
// was down: after a start or a reconnect they fetch what came after it.
import type { Db } from "./db.ts";

export class SqliteCursorStore {
  private readonly q;

  constructor(db: Db) {
    this.q = {
      get: db.prepare("SELECT cursor FROM channel_cursors WHERE channel = ? AND scope = ?"),
      set: db.prepare(
        "INSERT INTO channel_cursors (channel, scope, cursor, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(channel, scope) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
      ),
      list: db.prepare("SELECT scope, cursor FROM channel_cursors WHERE channel = ? ORDER BY scope"),
    };
  }

  get(channel: string, scope: string): string | undefined {
    return (this.q.get.get(channel, scope) as { cursor: string } | undefined)?.cursor;
  }

  set(channel: string, scope: string, cursor: string, now: number = Date.now()): void {
    this.q.set.run(channel, scope, cursor, now);
  }

  /** every scope (chat) of a channel with its cursor */
  list(channel: string): { scope: string; cursor: string }[] {
    return this.q.list.all(channel) as { scope: string; cursor: string }[];
  }
}
