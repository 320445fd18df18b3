// Session history on SQLite. Compaction and /reset never delete: compacted
// messages are flagged, and a reset moves the session to a new generation,
// so the active history is "this generation, not compacted".
import type { ChatMessage } from "../core/chat.ts";
import { transaction, type Db } from "./db.ts";
import { record, type SessionRow } from "./rows.ts";
import type { SessionRecord, SessionStore, StoredMessage } from "./types.ts";


interface MessageRow {
  id: number;
  json: string;
  created_at: number;
}

/** the active message count of the session row named `s` */
const activeCount = (s: string) => `(SELECT count(*) FROM messages m WHERE m.session_key = ${s}.key AND m.generation = ${s}.generation AND m.compacted = 0)`;
const ACTIVE_COUNT = activeCount("s");


export class SqliteSessionStore implements SessionStore {
  private readonly db: Db;
  private readonly q;

  constructor(db: Db) {
    this.db = db;
    this.q = {
      get: db.prepare(`SELECT s.*, ${ACTIVE_COUNT} AS message_count FROM sessions s WHERE s.key = ?`),
      generation: db.prepare("SELECT generation FROM sessions WHERE key = ?"),
      ensure: db.prepare("INSERT OR IGNORE INTO sessions (key, created_at, updated_at) VALUES (?, ?, ?)"),
      // RETURNING: the session as it is now comes back from the upsert itself
      touch: db.prepare(
        `INSERT INTO sessions (key, created_at, updated_at, channel, chat_id) VALUES (?1, ?2, ?2, ?3, ?4)
         ON CONFLICT(key) DO UPDATE SET updated_at = excluded.updated_at,
           channel = coalesce(excluded.channel, channel), chat_id = coalesce(excluded.chat_id, chat_id)
         RETURNING *, ${activeCount("sessions")} AS message_count`,
      ),
      // creates the session when absent, bumps it when present, and says its generation: one statement
      open: db.prepare(
        "INSERT INTO sessions (key, created_at, updated_at) VALUES (?1, ?2, ?2) ON CONFLICT(key) DO UPDATE SET updated_at = excluded.updated_at RETURNING generation",
      ),
      // the active history in one statement (the generation is read in the same query)
      history: db.prepare(
        `SELECT m.id, m.json, m.created_at FROM messages m JOIN sessions s ON s.key = m.session_key AND m.generation = s.generation
         WHERE m.session_key = ? AND m.compacted = 0 ORDER BY m.id`,
      ),
      append: db.prepare("INSERT INTO messages (session_key, generation, role, json, created_at) VALUES (?, ?, ?, ?, ?)"),
      compactOld: db.prepare("UPDATE messages SET compacted = 1 WHERE session_key = ? AND generation = ? AND compacted = 0 AND id < ?"),
      setSummary: db.prepare("UPDATE sessions SET summary = ?, updated_at = ? WHERE key = ?"),
      reset: db.prepare("UPDATE sessions SET generation = generation + 1, summary = '', last_prompt_tokens = NULL, updated_at = ? WHERE key = ?"),
      usage: db.prepare("UPDATE sessions SET last_prompt_tokens = coalesce(?, last_prompt_tokens), last_model = coalesce(?, last_model), updated_at = ? WHERE key = ?"),
      list: db.prepare(`SELECT s.*, ${ACTIVE_COUNT} AS message_count FROM sessions s ORDER BY s.updated_at DESC, s.key LIMIT ?`),
    };
  }

  getSession(key: string): SessionRecord | undefined {
    const row = this.q.get.get(key) as SessionRow | undefined;
    return row ? record(row) : undefined;
  }

  touchSession(key: string, meta: { channel?: string; chatId?: string; now: number }): SessionRecord {
    return record(this.q.touch.get(key, meta.now, meta.channel ?? null, meta.chatId ?? null) as unknown as SessionRow);
  }

  history(key: string): StoredMessage[] {
    return (this.q.history.all(key) as unknown as MessageRow[]).map((r) => ({
      id: r.id,
      message: JSON.parse(r.json) as ChatMessage,
      createdAt: r.created_at,
    }));
  }

  /** Creates the session when absent. Every message is stored or none is. */
  append(key: string, messages: ChatMessage[], now: number): StoredMessage[] {
    return transaction(this.db, () => {
      const { generation } = this.q.open.get(key, now) as { generation: number };
      const out: StoredMessage[] = [];
      for (const m of messages) {
        const res = this.q.append.run(key, generation, m.role, JSON.stringify(m), now);
        out.push({ id: Number(res.lastInsertRowid), message: m, createdAt: now });
      }
      return out;
    });
  }

  compact(key: string, summary: string, keepFromId: number, now: number): void {
    transaction(this.db, () => {
      const gen = this.q.generation.get(key) as { generation: number } | undefined;
      if (!gen) return;
      this.q.compactOld.run(key, gen.generation, keepFromId);
      this.q.setSummary.run(summary, now, key);
    });
  }

  /** Starts a new generation: the history and summary are gone from the prompt, not from disk. */
  reset(key: string, now: number): void {
    transaction(this.db, () => {
      this.q.ensure.run(key, now, now);
      this.q.reset.run(now, key);
    });
  }

  /** Updates the last call's figures; a session that does not exist is left alone. */
  recordUsage(key: string, usage: { promptTokens?: number; model?: string }, now: number): void {
    this.q.usage.run(usage.promptTokens ?? null, usage.model ?? null, now, key);
  }

  listSessions(limit = 100): SessionRecord[] {
    return (this.q.list.all(limit) as unknown as SessionRow[]).map(record);
  }
}
