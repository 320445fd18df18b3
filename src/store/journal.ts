// The tool-call journal: a side-effecting tool call is recorded under a
// stable key before it runs and its result after, so a turn re-run after a
// crash gets the recorded result back instead of sending, scheduling or
// generating a second time.
import type { Db } from "./db.ts";

export type JournalEntry = { state: "started" } | { state: "done"; result: unknown };

export class SqliteToolJournal {
  private readonly q;

  constructor(db: Db) {
    this.q = {
      get: db.prepare("SELECT state, result FROM tool_journal WHERE turn_id = ? AND call_key = ?"),
      begin: db.prepare("INSERT OR IGNORE INTO tool_journal (turn_id, call_key, tool, state, created_at) VALUES (?, ?, ?, 'started', ?)"),
      finish: db.prepare("UPDATE tool_journal SET state = 'done', result = ? WHERE turn_id = ? AND call_key = ?"),
      prune: db.prepare("DELETE FROM tool_journal WHERE created_at < ?"),
    };
  }

  /**
   * The entry of an earlier run of this call, or undefined after recording
   * that the call starts now (a write: throws when the store cannot take it,
   * and then the tool must not run).
   */
  begin(turnId: string, callKey: string, tool: string, now: number): JournalEntry | undefined {
    const row = this.q.get.get(turnId, callKey) as { state: string; result: string | null } | undefined;
    if (row) return row.state === "done" ? { state: "done", result: JSON.parse(row.result ?? "null") as unknown } : { state: "started" };
    this.q.begin.run(turnId, callKey, tool, now);
    return undefined;
  }

  finish(turnId: string, callKey: string, result: unknown): void {
    this.q.finish.run(JSON.stringify(result ?? null), turnId, callKey);
  }

  /** forgets calls recorded before `before`; returns how many */
  prune(before: number): number {
    return Number(this.q.prune.run(before).changes);
  }
}
