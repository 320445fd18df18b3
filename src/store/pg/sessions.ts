// Session history on PostgreSQL, with SQLite's semantics (../sessions.ts):
// compaction flags messages, /reset moves the session to a new generation,
// nothing is deleted. Appends, compaction and resets of one session lock its
// row first, so two gateways writing the same session take turns and ids
// stay in the order the messages were stored.
import type { ChatMessage } from "../../core/chat.ts";
import type { AsyncSessionStore } from "../backend.ts";
import { record, type SessionRow } from "../rows.ts";
import type { SessionRecord, StoredMessage, TurnContext, TurnSave } from "../types.ts";
import type { SessionWrites } from "../session-writes.ts";
import type { Sql } from "./sql.ts";

const ACTIVE_COUNT = "(SELECT count(*) FROM messages m WHERE m.session_key = s.key AND m.generation = s.generation AND NOT m.compacted)";
const ENSURE = "INSERT INTO sessions (key, created_at, updated_at) VALUES ($1, $2, $2) ON CONFLICT (key) DO NOTHING";

export class PgSessionStore implements AsyncSessionStore {
  private readonly sql: Sql;
  private readonly writes: SessionWrites | undefined;

  /** `writes` hears of every session this store creates or appends to */
  constructor(sql: Sql, writes?: SessionWrites) {
    this.sql = sql;
    this.writes = writes;
  }

  async getSession(key: string): Promise<SessionRecord | undefined> {
    const { rows } = await this.sql.query<SessionRow>(`SELECT s.*, ${ACTIVE_COUNT} AS message_count FROM sessions s WHERE s.key = $1`, [key]);
    return rows[0] ? record(rows[0]) : undefined;
  }

  async history(key: string): Promise<StoredMessage[]> {
    const { rows } = await this.sql.query<{ id: number; json: string; created_at: number }>(
      `SELECT m.id, m.json, m.created_at FROM messages m JOIN sessions s ON s.key = m.session_key AND s.generation = m.generation
       WHERE m.session_key = $1 AND NOT m.compacted ORDER BY m.id`,
      [key],
    );
    return rows.map((r) => ({ id: r.id, message: JSON.parse(r.json) as ChatMessage, createdAt: r.created_at }));
  }

  async turnContext(key: string): Promise<TurnContext | undefined> {
    const { rows } = await this.sql.query<{ summary: string | null; id: number | null; json: string | null; created_at: number | null }>(
      // the summary in the first row only, as on SQLite (sessions.ts): not sent again with every message
      `SELECT CASE WHEN m.id IS NULL OR m.id = (SELECT min(f.id) FROM messages f WHERE f.session_key = s.key AND f.generation = s.generation AND NOT f.compacted)
         THEN s.summary END AS summary, m.id, m.json, m.created_at FROM sessions s
       LEFT JOIN messages m ON m.session_key = s.key AND m.generation = s.generation AND NOT m.compacted
       WHERE s.key = $1 ORDER BY m.id`,
      [key],
    );
    if (rows.length === 0) return undefined;
    const history: StoredMessage[] = [];
    for (const r of rows) if (r.id !== null) history.push({ id: r.id, message: JSON.parse(r.json!) as ChatMessage, createdAt: r.created_at! });
    // the first row carries the summary (a NOT NULL column)
    return { summary: rows[0]!.summary!, history };
  }

  /**
   * One statement (one round trip, atomic by itself): the session upsert
   * (which locks its row, so two gateways' appends take turns) feeds the
   * messages' generation through a data-modifying CTE.
   */
  async saveTurn(key: string, turn: TurnSave): Promise<StoredMessage[]> {
    this.writes?.wrote(key);
    const { rows } = await this.sql.query<{ id: number; ord: number }>(
      `WITH s AS (
         INSERT INTO sessions (key, created_at, updated_at, channel, chat_id, last_prompt_tokens, last_model) VALUES ($1, $2, $2, $3, $4, $5, $6)
         ON CONFLICT (key) DO UPDATE SET updated_at = excluded.updated_at,
           channel = coalesce(excluded.channel, sessions.channel), chat_id = coalesce(excluded.chat_id, sessions.chat_id),
           last_prompt_tokens = coalesce(excluded.last_prompt_tokens, sessions.last_prompt_tokens), last_model = coalesce(excluded.last_model, sessions.last_model)
         RETURNING generation)
       INSERT INTO messages (session_key, generation, role, json, created_at)
       SELECT $1, s.generation, m.role, m.json, $2 FROM s, unnest($7::text[], $8::text[]) WITH ORDINALITY AS m(role, json, ord) ORDER BY m.ord
       RETURNING id`,
      [key, turn.now, turn.channel ?? null, turn.chatId ?? null, turn.promptTokens ?? null, turn.model ?? null, turn.messages.map((m) => m.role), turn.messages.map((m) => JSON.stringify(m))],
    );
    const ids = rows.map((r) => r.id).sort((a, b) => a - b);
    return turn.messages.map((m, i) => ({ id: ids[i]!, message: m, createdAt: turn.now }));
  }

  /** Creates the session when absent. Every message is stored or none is. */
  append(key: string, messages: ChatMessage[], now: number): Promise<StoredMessage[]> {
    this.writes?.wrote(key);
    return this.sql.tx(async (sql) => {
      await sql.query(ENSURE, [key, now]);
      const gen = await sql.query<{ generation: number }>("SELECT generation FROM sessions WHERE key = $1 FOR UPDATE", [key]);
      const generation = gen.rows[0]!.generation;
      const out: StoredMessage[] = [];
      if (messages.length > 0) {
        // one round trip for the whole batch; ORDER BY ord keeps ids in the caller's order
        const { rows } = await sql.query<{ id: number; ord: number }>(
          `INSERT INTO messages (session_key, generation, role, json, created_at)
           SELECT $1, $2, m.role, m.json, $3 FROM unnest($4::text[], $5::text[]) WITH ORDINALITY AS m(role, json, ord) ORDER BY m.ord
           RETURNING id`,
          [key, generation, now, messages.map((m) => m.role), messages.map((m) => JSON.stringify(m))],
        );
        const ids = rows.map((r) => r.id).sort((a, b) => a - b);
        messages.forEach((m, i) => out.push({ id: ids[i]!, message: m, createdAt: now }));
      }
      await sql.query("UPDATE sessions SET updated_at = $1 WHERE key = $2", [now, key]);
      return out;
    });
  }

  compact(key: string, summary: string, keepFromId: number, now: number): Promise<boolean> {
    return this.sql.tx(async (sql) => {
      const gen = await sql.query<{ generation: number }>("SELECT generation FROM sessions WHERE key = $1 FOR UPDATE", [key]);
      if (!gen.rows[0]) return false;
      const marked = await sql.query("UPDATE messages SET compacted = true WHERE session_key = $1 AND generation = $2 AND NOT compacted AND id < $3", [key, gen.rows[0].generation, keepFromId]);
      // nothing left to replace: the history this summary describes is gone (see SessionStore.compact)
      if (!marked.rowCount) return false;
      await sql.query("UPDATE sessions SET summary = $1, updated_at = $2 WHERE key = $3", [summary, now, key]);
      return true;
    });
  }

  /** Starts a new generation: the history and summary are gone from the prompt, not from the database. */
  reset(key: string, now: number): Promise<void> {
    this.writes?.wrote(key);
    return this.sql.tx(async (sql) => {
      await sql.query(ENSURE, [key, now]);
      await sql.query("UPDATE sessions SET generation = generation + 1, summary = '', last_prompt_tokens = NULL, updated_at = $1 WHERE key = $2", [now, key]);
    });
  }

  async listSessions(limit = 100): Promise<SessionRecord[]> {
    const { rows } = await this.sql.query<SessionRow>(`SELECT s.*, ${ACTIVE_COUNT} AS message_count FROM sessions s ORDER BY s.updated_at DESC, s.key LIMIT $1`, [limit]);
    return rows.map(record);
  }
}
