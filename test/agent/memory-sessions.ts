// An in-memory SessionStore with the semantics of the SQLite one: messages
// are stored as JSON (callers get copies), ids increase across the whole
// store, compaction flags messages instead of deleting them, and /reset
// starts a new generation and clears the summary and the last prompt size.
import type { ChatMessage } from "../../src/core/chat.ts";
import type { AsyncSessionStore } from "../../src/store/backend.ts";
import { asyncView } from "../../src/store/sqlite-backend.ts";
import type { SessionRecord, SessionStore, StoredMessage, TurnContext, TurnSave } from "../../src/store/types.ts";

interface Session {
  key: string;
  createdAt: number;
  updatedAt: number;
  summary: string;
  channel?: string;
  chatId?: string;
  generation: number;
  lastPromptTokens?: number;
  lastModel?: string;
}

interface Row {
  id: number;
  generation: number;
  compacted: boolean;
  json: string;
  createdAt: number;
}

export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, Session>();
  /** rows by session key */
  private readonly rows = new Map<string, Row[]>();
  private nextId = 1;
  /** every method call in order, for tests that check what a turn touched */
  readonly calls: { method: keyof SessionStore; key?: string }[] = [];
  /** the same store through the async interface the agent takes */
  readonly async: AsyncSessionStore = asyncView<SessionStore>(this);

  getSession(key: string): SessionRecord | undefined {
    this.calls.push({ method: "getSession", key });
    const s = this.sessions.get(key);
    return s ? this.record(s) : undefined;
  }

  history(key: string): StoredMessage[] {
    this.calls.push({ method: "history", key });
    const s = this.sessions.get(key);
    if (!s) return [];
    return this.active(s).map((r) => ({ id: r.id, message: JSON.parse(r.json) as ChatMessage, createdAt: r.createdAt }));
  }

  turnContext(key: string): TurnContext | undefined {
    this.calls.push({ method: "turnContext", key });
    const s = this.sessions.get(key);
    if (!s) return undefined;
    return { summary: s.summary, history: this.active(s).map((r) => ({ id: r.id, message: JSON.parse(r.json) as ChatMessage, createdAt: r.createdAt })) };
  }

  saveTurn(key: string, turn: TurnSave): StoredMessage[] {
    this.calls.push({ method: "saveTurn", key });
    const encoded = turn.messages.map((m) => JSON.stringify(m));
    const s = this.ensure(key, turn.now);
    s.updatedAt = turn.now;
    if (turn.channel !== undefined) s.channel = turn.channel;
    if (turn.chatId !== undefined) s.chatId = turn.chatId;
    if (turn.promptTokens !== undefined) s.lastPromptTokens = turn.promptTokens;
    if (turn.model !== undefined) s.lastModel = turn.model;
    return this.push(key, s, encoded, turn.now);
  }

  append(key: string, messages: ChatMessage[], now: number): StoredMessage[] {
    this.calls.push({ method: "append", key });
    // serialize everything first: one message that cannot be stored stores none
    const encoded = messages.map((m) => JSON.stringify(m));
    const s = this.ensure(key, now);
    s.updatedAt = now;
    return this.push(key, s, encoded, now);
  }

  private push(key: string, s: Session, encoded: string[], now: number): StoredMessage[] {
    const out: StoredMessage[] = [];
    for (const json of encoded) {
      const row: Row = { id: this.nextId++, generation: s.generation, compacted: false, json, createdAt: now };
      this.rowsOf(key).push(row);
      out.push({ id: row.id, message: JSON.parse(json) as ChatMessage, createdAt: now });
    }
    return out;
  }

  compact(key: string, summary: string, keepFromId: number, now: number): boolean {
    this.calls.push({ method: "compact", key });
    const s = this.sessions.get(key);
    if (!s) return false;
    const replaced = this.active(s).filter((r) => r.id < keepFromId);
    if (replaced.length === 0) return false;
    for (const r of replaced) r.compacted = true;
    s.summary = summary;
    s.updatedAt = now;
    return true;
  }

  /** test set-up: a summary as an earlier compaction left it, without replacing any message */
  seedSummary(key: string, summary: string): void {
    const s = this.sessions.get(key);
    if (!s) throw new Error(`seedSummary: no session ${key}; store a message or a turn first`);
    s.summary = summary;
  }

  reset(key: string, now: number): void {
    this.calls.push({ method: "reset", key });
    const s = this.ensure(key, now);
    s.generation++;
    s.summary = "";
    delete s.lastPromptTokens;
    s.updatedAt = now;
  }

  listSessions(limit = 100): SessionRecord[] {
    this.calls.push({ method: "listSessions" });
    return [...this.sessions.values()]
      .sort((a, b) => b.updatedAt - a.updatedAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .slice(0, limit)
      .map((s) => this.record(s));
  }

  /** method calls made for `key` */
  callsFor(key: string): (keyof SessionStore)[] {
    return this.calls.filter((c) => c.key === key).map((c) => c.method);
  }

  private ensure(key: string, now: number): Session {
    let s = this.sessions.get(key);
    if (!s) {
      s = { key, createdAt: now, updatedAt: now, summary: "", generation: 0 };
      this.sessions.set(key, s);
    }
    return s;
  }

  private rowsOf(key: string): Row[] {
    let rows = this.rows.get(key);
    if (!rows) {
      rows = [];
      this.rows.set(key, rows);
    }
    return rows;
  }

  private active(s: Session): Row[] {
    return this.rowsOf(s.key).filter((r) => r.generation === s.generation && !r.compacted);
  }

  private record(s: Session): SessionRecord {
    return {
      key: s.key,
      createdAt: s.createdAt,
      updatedAt: s.updatedAt,
      summary: s.summary,
      messageCount: this.active(s).length,
      ...(s.channel !== undefined ? { channel: s.channel } : {}),
      ...(s.chatId !== undefined ? { chatId: s.chatId } : {}),
      ...(s.lastPromptTokens !== undefined ? { lastPromptTokens: s.lastPromptTokens } : {}),
      ...(s.lastModel !== undefined ? { lastModel: s.lastModel } : {}),
    };
  }
}
