// The QQ gateway session carried across restarts. QQ has no history API for
// C2C or group chats and does not redeliver by itself; what it offers is
// RESUME: a client that reconnects with its `session_id` and the `seq` of
// the last dispatch it handled gets every dispatch after that seq replayed,
// then RESUMED. QQ keeps a session resumable only for a short while after
// its connection dropped (not documented as a number; other clients assume
// about 5 minutes), then answers INVALID_SESSION and what arrived meanwhile
// is gone.
//
// So the session id and the seq of the last dispatch the gateway has stored
// are written to the channel's cursor store (scope "gateway-session") as they
// move, with the time the session was last known alive (refreshed on
// heartbeat ACKs). A start within MAX_AGE_MS of that resumes; an older one,
// or none, identifies afresh. A write the store refuses (disk full) is
// logged and skipped: the saved seq stays behind, so a resume replays a
// little more, which the inbox dedupes.
import type { ChannelCursors } from "../../src/core/channel.ts";
import type { Clock } from "../../src/core/clock.ts";
import type { Logger } from "../../src/core/logger.ts";
import { errorMessage } from "../../src/core/errors.ts";

export const SESSION_SCOPE = "gateway-session";
/** a session older than this is not even tried: QQ certainly forgot it */
export const MAX_AGE_MS = 60 * 60_000;
/** heartbeat ACKs refresh the saved time at most this often */
const TOUCH_EVERY_MS = 20_000;

export interface SavedSession {
  sessionId: string;
  seq: number;
}

export class SessionKeeper {
  private readonly cursors: ChannelCursors | undefined;
  private readonly clock: Clock;
  private readonly log: Logger;
  private last: SavedSession | undefined;
  private savedAt = 0;
  /** writes run one after another, so an older seq never lands after a newer one */
  private writing: Promise<void> = Promise.resolve();
  /** the session the newest queued write saves (what `save` compares with) */
  private queued: SavedSession | undefined;

  constructor(cursors: ChannelCursors | undefined, clock: Clock, logger: Logger) {
    this.cursors = cursors;
    this.clock = clock;
    this.log = logger;
  }

  /** the session to resume at start, when one was saved recently enough */
  async load(): Promise<SavedSession | undefined> {
    let raw: string | undefined;
    try {
      raw = await this.cursors?.get(SESSION_SCOPE);
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, "QQ: could not read the saved gateway session; identifying afresh");
      return undefined;
    }
    if (!raw) return undefined;
    let parsed: { session_id?: unknown; seq?: unknown; at?: unknown };
    try {
      parsed = JSON.parse(raw) as typeof parsed;
    } catch {
      return undefined;
    }
    const { session_id: id, seq, at } = parsed;
    if (typeof id !== "string" || !id || typeof seq !== "number" || !Number.isInteger(seq) || seq < 0 || typeof at !== "number") return undefined;
    const age = this.clock.now() - at;
    if (age > MAX_AGE_MS) {
      this.log.info({ ageMinutes: Math.round(age / 60_000) }, "QQ: the saved gateway session is too old to resume; identifying afresh (what arrived meanwhile cannot be fetched)");
      return undefined;
    }
    this.last = { sessionId: id, seq };
    this.queued = this.last;
    this.savedAt = at;
    return this.last;
  }

  /** the live session moved (READY, a stored dispatch) or ended (undefined) */
  save(session: SavedSession | undefined): void {
    if (session && this.queued && session.sessionId === this.queued.sessionId && session.seq === this.queued.seq) return;
    this.write(session);
  }

  /** the session is alive (heartbeat ACK): refresh its saved time now and then */
  touch(): void {
    if (this.queued && this.clock.now() - this.savedAt >= TOUCH_EVERY_MS) this.write(this.queued);
  }

  /** the writes queued so far have settled (tests, shutdown) */
  settled(): Promise<void> {
    return this.writing;
  }

  private write(session: SavedSession | undefined): void {
    const cursors = this.cursors;
    if (!cursors) return;
    const now = this.clock.now();
    this.queued = session;
    this.savedAt = now; // a touch meanwhile would only repeat this write
    this.writing = this.writing.then(async () => {
      try {
        await cursors.set(SESSION_SCOPE, session ? JSON.stringify({ session_id: session.sessionId, seq: session.seq, at: now }) : "");
        this.last = session;
      } catch (err) {
        if (this.queued === session) this.queued = this.last; // not saved: the next save writes again
        this.log.warn({ err: errorMessage(err) }, "QQ: could not save the gateway session; a restart resumes from an older point");
      }
    });
  }
}
