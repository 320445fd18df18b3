// The tool-call journal on PostgreSQL (../journal.ts). `begin` claims the
// call with one INSERT … ON CONFLICT DO NOTHING: of two gateways re-running
// the same turn, one records the start and runs the tool; the other is told
// the call already started.
import type { AsyncToolJournal } from "../backend.ts";
import type { JournalEntry } from "../journal.ts";
import type { Sql } from "./sql.ts";

export class PgToolJournal implements AsyncToolJournal {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  /** The entry of an earlier run of this call, or undefined after recording that the call starts now. */
  async begin(turnId: string, callKey: string, tool: string, now: number): Promise<JournalEntry | undefined> {
    const claimed = await this.sql.query(
      "INSERT INTO tool_journal (turn_id, call_key, tool, state, created_at) VALUES ($1, $2, $3, 'started', $4) ON CONFLICT (turn_id, call_key) DO NOTHING RETURNING 1",
      [turnId, callKey, tool, now],
    );
    if (claimed.rowCount) return undefined;
    const { rows } = await this.sql.query<{ state: string; result: string | null }>("SELECT state, result FROM tool_journal WHERE turn_id = $1 AND call_key = $2", [turnId, callKey]);
    const row = rows[0];
    if (!row) return this.begin(turnId, callKey, tool, now); // pruned between the two statements: claim it again
    return row.state === "done" ? { state: "done", result: JSON.parse(row.result ?? "null") as unknown } : { state: "started" };
  }

  async finish(turnId: string, callKey: string, result: unknown): Promise<void> {
    await this.sql.query("UPDATE tool_journal SET state = 'done', result = $1 WHERE turn_id = $2 AND call_key = $3", [JSON.stringify(result ?? null), turnId, callKey]);
  }

  /** forgets calls recorded before `before`; returns how many */
  async prune(before: number): Promise<number> {
    return (await this.sql.query("DELETE FROM tool_journal WHERE created_at < $1", [before])).rowCount ?? 0;
  }
}
