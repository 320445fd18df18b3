// Who wrote which session, told to whoever listens in this process. A new
// chat's first turn may skip reading a history because its message's insert
// saw no session yet; that is true only until something creates the session
// (a cron job's turn, an API call, a /new). Every session write through a
// store says so here, at once (inside a transaction: before it commits, so a
// listener may only learn of a write too early, never too late), and the
// gateway forgets what it believed about that session (held-inbox.ts).

export type SessionWriteListener = (sessionKey: string) => void;

export class SessionWrites {
  private readonly listeners = new Set<SessionWriteListener>();

  /** calls `fn` with the key of every session written from now on; returns the way to stop */
  listen(fn: SessionWriteListener): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  /** a store wrote (or is writing, in an open transaction) the session `sessionKey` */
  wrote(sessionKey: string): void {
    for (const fn of this.listeners) fn(sessionKey);
  }
}
