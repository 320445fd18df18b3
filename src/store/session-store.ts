// Session history on SQLite. Compaction and /reset never delete: compacted
// messages are flagged, and a reset moves the session to a new generation.
import type { ChatMessage } from "../core/chat.ts";
import { transaction, type Db } from "./sqlite.ts";
import type { SessionRecord, SessionStore, StoredMessage } from "./types.ts";

interface SessionRow {
  key: string;
  created_at: number;
  updated_at: number;
  summary: string;
  channel: string | null;
  chat_id: string | null;
  generation: number;
  last_prompt_tokens: number | null;
  last_model: string | null;
}

export class SqliteSessionStore implements SessionStore {
  private readonly db: Db;
  private readonly q;

  constructor(db: Db) {
    this.db = db;
    this.q = {
      get: db.prepare("SELECT * FROM sessions WHERE key = ?"),
      insert: db.prepare("INSERT INTO sessions (key, created_at, updated_at, channel, chat_id) VALUES (?, ?, ?, ?, ?)"),
      touch: db.prepare("UPDATE sessions SET updated_at = ?, channel = coalesce(?, channel), chat_id = coalesce(?, chat_id) WHERE key = ?"),
      count: db.prepare("SELECT count(*) AS n FROM messages WHERE session_key = ? AND generation = ? AND compacted = 0"),
      history: db.prepare("SELECT id, json, created_at FROM messages WHERE session_key = ? AND generation = ? AND compacted = 0 ORDER BY id"),
      append: db.prepare("INSERT INTO messages (session_key, generation, json, created_at) VALUES (?, ?, ?, ?)"),
      compactOld: db.prepare("UPDATE messages SET compacted = 1 WHERE session_key = ? AND generation = ? AND compacted = 0 AND id < ?"),
      setSummary: db.prepare("UPDATE sessions SET summary = ?, updated_at = ? WHERE key = ?"),
      reset: db.prepare("UPDATE sessions SET generation = generation + 1, summary = '', updated_at = ?, last_prompt_tokens = NULL WHERE key = ?"),
      usage: db.prepare("UPDATE sessions SET last_prompt_tokens = coalesce(?, last_prompt_tokens), last_model = coalesce(?, last_model), updated_at = ? WHERE key = ?"),
      list: db.prepare("SELECT * FROM sessions ORDER BY updated_at DESC, key LIMIT ?"),
    };
  }

  private row(key: string): SessionRow | undefined {
    return this.q.get.get(key) as SessionRow | undefined;
  }

  private record(row: SessionRow): SessionRecord {
    const n = (this.q.count.get(row.key, row.generation) as { n: number }).n;
    return {
      key: row.key,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      summary: row.summary,
      messageCount: n,
      ...(row.channel !== null ? { channel: row.channel } : {}),
      ...(row.chat_id !== null ? { chatId: row.chat_id } : {}),
      ...(row.last_prompt_tokens !== null ? { lastPromptTokens: row.last_prompt_tokens } : {}),
      ...(row.last_model !== null ? { lastModel: row.last_model } : {}),
    };
  }

  getSession(key: string): SessionRecord | undefined {
    const row = this.row(key);
    return row ? this.record(row) : undefined;
  }

  touchSession(key: string, meta: { channel?: string; chatId?: string; now: number }): SessionRecord {
    if (!this.row(key)) this.q.insert.run(key, meta.now, meta.now, meta.channel ?? null, meta.chatId ?? null);
    else this.q.touch.run(meta.now, meta.channel ?? null, meta.chatId ?? null, key);
    return this.record(this.row(key)!);
  }

  history(key: string): StoredMessage[] {
    const row = this.row(key);
    if (!row) return [];
    return (this.q.history.all(key, row.generation) as { id: number; json: string; created_at: number }[]).map((r) => ({
      id: r.id,
      message: JSON.parse(r.json) as ChatMessage,
      createdAt: r.created_at,
    }));
  }

  append(key: string, messages: ChatMessage[], now: number): StoredMessage[] {
    return transaction(this.db, () => {
      const row = this.row(key) ?? (this.q.insert.run(key, now, now, null, null), this.row(key)!);
      const out: StoredMessage[] = [];
      for (const m of messages) {
        const res = this.q.append.run(key, row.generation, JSON.stringify(m), now);
        out.push({ id: Number(res.lastInsertRowid), message: m, createdAt: now });
      }
      this.q.touch.run(now, null, null, key);
      return out;
    });
  }

  compact(key: string, summary: string, keepFromId: number, now: number): void {
    transaction(this.db, () => {
      const row = this.row(key);
      if (!row) return;
      this.q.compactOld.run(key, row.generation, keepFromId);
      this.q.setSummary.run(summary, now, key);
    });
  }

  reset(key: string, now: number): void {
    if (!this.row(key)) this.q.insert.run(key, now, now, null, null);
    this.q.reset.run(now, key);
  }

  recordUsage(key: string, usage: { promptTokens?: number; model?: string }, now: number): void {
    this.q.usage.run(usage.promptTokens ?? null, usage.model ?? null, now, key);
  }

  listSessions(limit = 100): SessionRecord[] {
    return (this.q.list.all(limit) as unknown as SessionRow[]).map((r) => this.record(r));
  }
}
