// Session history on SQLite. Compaction and /reset never delete: compacted
// messages are flagged, and a reset moves the session to a new generation,
// so the active history is "this generation, not compacted".
import type { ChatMessage } from "../core/chat.ts";
import { transaction, writeTogether, type Db } from "./db.ts";
import { MultiRowInsert } from "./multi-row.ts";
import { record, type SessionRow } from "./rows.ts";
import type { SessionWrites } from "./session-writes.ts";
import type { SessionRecord, SessionStore, StoredMessage, TurnContext, TurnSave } from "./types.ts";


interface MessageRow {
  id: number;
  json: string;
  created_at: number;
}

/** the active message count of the session row named `s` */
const ACTIVE_COUNT = "(SELECT count(*) FROM messages m WHERE m.session_key = s.key AND m.generation = s.generation AND m.compacted = 0)";


/** summary and active history of one session: no row when it does not exist, one with id NULL when it has no messages */
interface ContextRow {
  /** on the first row only (the query's CASE); null on the others */
  summary: string | null;
  id: number | null;
  json: string | null;
  created_at: number | null;
}

export class SqliteSessionStore implements SessionStore {
  private readonly db: Db;
  private readonly q;
  private readonly insertMessages: MultiRowInsert;
  private readonly writes: SessionWrites | undefined;

  /** `writes` hears of every session this store creates or appends to */
  constructor(db: Db, writes?: SessionWrites) {
    this.db = db;
    this.writes = writes;
    this.insertMessages = new MultiRowInsert(db, (values) => `INSERT INTO messages (session_key, generation, role, json, created_at) VALUES ${values}`, "(?, ?, ?, ?, ?)");
    this.q = {
      get: db.prepare(`SELECT s.*, ${ACTIVE_COUNT} AS message_count FROM sessions s WHERE s.key = ?`),
      generation: db.prepare("SELECT generation FROM sessions WHERE key = ?"),
      ensure: db.prepare("INSERT OR IGNORE INTO sessions (key, created_at, updated_at) VALUES (?, ?, ?)"),
      // creates the session when absent, bumps it when present, and says its generation: one statement
      open: db.prepare(
        "INSERT INTO sessions (key, created_at, updated_at) VALUES (?1, ?2, ?2) ON CONFLICT(key) DO UPDATE SET updated_at = excluded.updated_at RETURNING generation",
      ),
      // the active history in one statement (the generation is read in the same query)
      history: db.prepare(
        `SELECT m.id, m.json, m.created_at FROM messages m JOIN sessions s ON s.key = m.session_key AND m.generation = s.generation
         WHERE m.session_key = ? AND m.compacted = 0 ORDER BY m.id`,
      ),
      // the session, its summary and its active history in one read (the turn's whole view of it). The
      // summary comes in the first row only: in every row it was a copy per message (a 2 KB summary and
      // 14 messages: 26 KB more garbage per turn, for the same CPU as the lookup of the first id)
      context: db.prepare(
        `SELECT CASE WHEN m.id IS NULL OR m.id = (SELECT min(f.id) FROM messages f WHERE f.session_key = s.key AND f.generation = s.generation AND f.compacted = 0)
           THEN s.summary END AS summary, m.id, m.json, m.created_at FROM sessions s
         LEFT JOIN messages m ON m.session_key = s.key AND m.generation = s.generation AND m.compacted = 0
         WHERE s.key = ? ORDER BY m.id`,
      ),
      // a turn's session write in one upsert: created or bumped, its chat, its usage, and its generation back
      saveTurn: db.prepare(
        `INSERT INTO sessions (key, created_at, updated_at, channel, chat_id, last_prompt_tokens, last_model) VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(key) DO UPDATE SET updated_at = excluded.updated_at,
           channel = coalesce(excluded.channel, channel), chat_id = coalesce(excluded.chat_id, chat_id),
           last_prompt_tokens = coalesce(excluded.last_prompt_tokens, last_prompt_tokens), last_model = coalesce(excluded.last_model, last_model)
         RETURNING generation`,
      ),
      compactOld: db.prepare("UPDATE messages SET compacted = 1 WHERE session_key = ? AND generation = ? AND compacted = 0 AND id < ?"),
      setSummary: db.prepare("UPDATE sessions SET summary = ?, updated_at = ? WHERE key = ?"),
      reset: db.prepare("UPDATE sessions SET generation = generation + 1, summary = '', last_prompt_tokens = NULL, updated_at = ? WHERE key = ?"),
      list: db.prepare(`SELECT s.*, ${ACTIVE_COUNT} AS message_count FROM sessions s ORDER BY s.updated_at DESC, s.key LIMIT ?`),
    };
  }

  getSession(key: string): SessionRecord | undefined {
    const row = this.q.get.get(key) as SessionRow | undefined;
    return row ? record(row) : undefined;
  }

  history(key: string): StoredMessage[] {
    return (this.q.history.all(key) as unknown as MessageRow[]).map((r) => ({
      id: r.id,
      message: JSON.parse(r.json) as ChatMessage,
      createdAt: r.created_at,
    }));
  }

  turnContext(key: string): TurnContext | undefined {
    const rows = this.q.context.all(key) as unknown as ContextRow[];
    if (rows.length === 0) return undefined;
    const history: StoredMessage[] = [];
    for (const r of rows) if (r.id !== null) history.push({ id: r.id, message: JSON.parse(r.json!) as ChatMessage, createdAt: r.created_at! });
    // the first row carries the summary (a NOT NULL column)
    return { summary: rows[0]!.summary!, history };
  }

  /** Creates the session when absent. Every message is stored or none is. */
  append(key: string, messages: ChatMessage[], now: number): StoredMessage[] {
    const json = messages.map((m) => JSON.stringify(m)); // a message that cannot be stored fails before any write
    this.writes?.wrote(key);
    return writeTogether(this.db, () => {
      const { generation } = this.q.open.get(key, now) as { generation: number };
      return this.appendRows(key, generation, messages, json, now);
    });
  }

  saveTurn(key: string, turn: TurnSave): StoredMessage[] {
    const json = turn.messages.map((m) => JSON.stringify(m));
    this.writes?.wrote(key);
    return writeTogether(this.db, () => {
      const { generation } = this.q.saveTurn.get(key, turn.now, turn.channel ?? null, turn.chatId ?? null, turn.promptTokens ?? null, turn.model ?? null) as { generation: number };
      return this.appendRows(key, generation, turn.messages, json, turn.now);
    });
  }

  /**
   * Ids come from the statement's last row id: one statement's rows get
   * consecutive ids in VALUES order (AUTOINCREMENT, and the write lock is held).
   */
  private appendRows(key: string, generation: number, messages: ChatMessage[], json: string[], now: number): StoredMessage[] {
    const rows = messages.map((m, i) => [key, generation, m.role, json[i]!, now]);
    const out: StoredMessage[] = [];
    let i = 0;
    this.insertMessages.groups(rows, (st, params) => {
      const last = Number(st.run(...params).lastInsertRowid);
      const n = params.length / 5;
      for (let k = 0; k < n; k++, i++) out.push({ id: last - n + 1 + k, message: messages[i]!, createdAt: now });
    });
    return out;
  }

  compact(key: string, summary: string, keepFromId: number, now: number): boolean {
    return transaction(this.db, () => {
      const gen = this.q.generation.get(key) as { generation: number } | undefined;
      if (!gen) return false;
      // nothing left to replace: the history this summary describes is gone (see SessionStore.compact)
      if (Number(this.q.compactOld.run(key, gen.generation, keepFromId).changes) === 0) return false;
      this.q.setSummary.run(summary, now, key);
      return true;
    });
  }

  /** Starts a new generation: the history and summary are gone from the prompt, not from disk. */
  reset(key: string, now: number): void {
    this.writes?.wrote(key);
    transaction(this.db, () => {
      this.q.ensure.run(key, now, now);
      this.q.reset.run(now, key);
    });
  }

  listSessions(limit = 100): SessionRecord[] {
    return (this.q.list.all(limit) as unknown as SessionRow[]).map(record);
  }
}
