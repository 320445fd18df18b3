// The inbox rows this gateway stored and no turn has taken yet, kept in
// memory per session, so a turn starts from the rows its messages' own
// inserts returned instead of reading them back from the inbox (one read per
// message on the hot path). The inbox stays the record: every row here is
// committed before it is held, and a turn marks its rows answered in the
// store as before. Memory is trusted for a session only while every waiting
// row of it in the store is also here; otherwise (rows from an earlier life,
// rows a turn left waiting after a storage fault, rows too large or too many
// to hold) the session has a gap and its next turn reads the store.
// Only for a store this gateway has to itself: in a fleet the inbox is always read.
import type { InboundRecord } from "../store/types.ts";

/** rows held at most; beyond, a session's rows are read back from the store */
export const HELD_ROWS = 1_000;
/** characters of message text held at most (a message may carry the text of attached files) */
export const HELD_TEXT_CHARS = 4_000_000;

interface Waiting {
  rows: InboundRecord[];
  /** when set: the store may hold waiting rows of the session that are not here, as of this mark */
  gapAt?: number;
}

export class HeldInbox {
  private readonly sessions = new Map<string, Waiting>();
  private rows = 0;
  private chars = 0;
  /** orders gaps and store reads: a read started after a gap was marked sees its rows */
  private clock = 0;
  /** false until recovery listed what an earlier life left waiting */
  private ready = false;
  /** rows being stored now (between storing() and stored()) */
  private inFlight = 0;
  /** sessions written while rows were being stored, with the mark of the write (cleared when none is) */
  private readonly written = new Map<string, number>();

  /** a row is about to be stored: hand the mark to add(), and call stored() once it was (or was not) */
  storing(): number {
    this.inFlight++;
    return ++this.clock;
  }

  stored(): void {
    if (--this.inFlight === 0) this.written.clear();
  }

  /** something wrote the session (it exists now): no row of it, held or on its way, may say "no session yet" */
  sessionWritten(sessionKey: string): void {
    const w = this.sessions.get(sessionKey);
    if (w) for (const r of w.rows) delete r.sessionExisted;
    if (this.inFlight > 0) this.written.set(sessionKey, ++this.clock);
  }

  /**
   * a row this gateway just stored (committed); `fresh` false: its "no session yet" may be stale, and is
   * dropped, as it is when its session was written after the mark `since` (from storing())
   */
  add(row: InboundRecord, fresh = true, since?: number): void {
    if (!fresh || (since !== undefined && (this.written.get(row.sessionKey) ?? 0) > since)) delete row.sessionExisted;
    const size = textSize(row);
    if (size === undefined || this.rows >= HELD_ROWS || this.chars + size > HELD_TEXT_CHARS) return this.gap(row.sessionKey);
    this.entry(row.sessionKey).rows.push(row);
    this.count(1, size);
  }

  /** rows a turn took but left for the next round (another chat's), ahead of newer ones */
  putBack(sessionKey: string, rows: InboundRecord[]): void {
    if (rows.length === 0) return;
    for (const r of rows) delete r.sessionExisted; // the turn that took them may have created the session
    const w = this.entry(sessionKey);
    w.rows.unshift(...rows);
    this.count(rows.length, chars(rows));
  }

  /** rows answered without a turn (a /stop closes what its chat still waited for) */
  forget(sessionKey: string, ids: number[]): void {
    const w = this.sessions.get(sessionKey);
    if (!w) return;
    const gone = new Set(ids);
    const kept = w.rows.filter((r) => !gone.has(r.id));
    this.replace(w, kept);
    if (w.rows.length === 0 && w.gapAt === undefined) this.sessions.delete(sessionKey);
  }

  /** the store may hold waiting rows of the session that are not here (its next turn reads the store) */
  gap(sessionKey: string): void {
    this.entry(sessionKey).gapAt = ++this.clock;
  }

  /** recovery has listed (and marked as gaps) every session an earlier life left waiting: memory may be used */
  recovered(): void {
    this.ready = true;
  }

  /** the session's waiting rows, oldest first, taken out; undefined when the store must be read instead */
  take(sessionKey: string): InboundRecord[] | undefined {
    const w = this.sessions.get(sessionKey);
    if (!this.ready || w?.gapAt !== undefined) return undefined;
    if (!w) return [];
    this.sessions.delete(sessionKey);
    const rows = w.rows;
    this.replace(w, []);
    return rows.sort((a, b) => a.id - b.id);
  }

  /** call right before reading the session's waiting rows from the store; hand the mark to `read` */
  reading(): number {
    return ++this.clock;
  }

  /** the store said what waits (`found`, read from mark `at` on): those rows are no longer held here; gaps it covered are closed */
  read(sessionKey: string, at: number, found: InboundRecord[]): void {
    const w = this.sessions.get(sessionKey);
    if (!w) return;
    const seen = new Set(found.map((r) => r.id));
    this.replace(w, w.rows.filter((r) => !seen.has(r.id)));
    if (w.gapAt !== undefined && w.gapAt < at) delete w.gapAt;
    if (w.rows.length === 0 && w.gapAt === undefined) this.sessions.delete(sessionKey);
  }

  /** rows held now (for tests and status) */
  get size(): number {
    return this.rows;
  }

  private entry(sessionKey: string): Waiting {
    let w = this.sessions.get(sessionKey);
    if (!w) {
      w = { rows: [] };
      this.sessions.set(sessionKey, w);
    }
    return w;
  }

  private count(rows: number, chars: number): void {
    this.rows += rows;
    this.chars += chars;
  }

  /** a session's held rows become `rows`, the totals follow */
  private replace(w: Waiting, rows: InboundRecord[]): void {
    this.count(rows.length - w.rows.length, chars(rows) - chars(w.rows));
    w.rows = rows;
  }
}

/** characters of a row's text, or undefined for a row not to hold (media: images and audio are large) */
function textSize(row: InboundRecord): number | undefined {
  const p = row.payload as { text?: unknown; media?: unknown[] } | null;
  if (p?.media?.length) return undefined;
  return typeof p?.text === "string" ? p.text.length : 0;
}

function chars(rows: InboundRecord[]): number {
  let n = 0;
  for (const r of rows) n += textSize(r) ?? 0;
  return n;
}
