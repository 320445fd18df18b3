// Group commit for inbound messages on SQLite. A COMMIT costs more than the
// insert it commits (it writes the WAL frames of every page the transaction
// touched), and messages arrive in bunches: a Telegram poll hands over up to
// 100 updates at once, webhooks and sockets deliver several in one turn of
// the event loop. Writes handed in during one turn of the event loop are
// stored in ONE transaction at the end of it (setImmediate), and each
// caller's promise settles only after that COMMIT: a message is still
// acknowledged to the platform only once it is durable. A lone message costs
// one statement, as before (no BEGIN/COMMIT around a single insert).
//
// One write that fails on its own (its payload cannot be stored, a value
// SQLite refuses) fails only its caller; the rest of the group commits. A
// failure that ends the transaction (disk full, I/O error) or a COMMIT that
// fails rejects every caller of the group: nothing of it was stored, and
// each platform brings its messages again.
import type { Db } from "./db.ts";

interface Waiting<A, R> {
  arg: A;
  resolve: (value: R) => void;
  reject: (err: unknown) => void;
}

export class GroupCommit<A, R> {
  private readonly db: Db;
  private readonly write: (arg: A) => R;
  private readonly blocked: () => Promise<void> | undefined;
  private queue: Waiting<A, R>[] = [];
  private flushing: Promise<void> | undefined;

  /**
   * `write` is one synchronous write (one statement); `blocked` says whether
   * a transaction of another caller is open on the connection, and when it ends
   */
  constructor(db: Db, write: (arg: A) => R, blocked: () => Promise<void> | undefined) {
    this.db = db;
    this.write = write;
    this.blocked = blocked;
  }

  /** stores `arg` with whatever else arrives in this turn of the event loop; resolves after the COMMIT */
  add(arg: A): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ arg, resolve, reject });
      if (this.queue.length === 1 && !this.flushing) this.flushing = new Promise<void>((done) => setImmediate(() => void this.flush().finally(done)));
    });
  }

  /** resolves once nothing handed in is still waiting to be written */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flush(): Promise<void> {
    try {
      // writes arriving while a transaction of another caller is open join this group
      for (let wait = this.blocked(); wait; wait = this.blocked()) await wait;
      const group = this.queue;
      this.queue = [];
      if (group.length === 1) this.one(group[0]!);
      else if (group.length > 1) this.many(group);
    } finally {
      this.flushing = undefined;
      // handed in after this group was taken (while it waited): their own group, at once
      if (this.queue.length > 0) this.flushing = this.flush();
    }
  }

  private one(w: Waiting<A, R>): void {
    try {
      w.resolve(this.write(w.arg));
    } catch (err) {
      w.reject(err);
    }
  }

  private many(group: Waiting<A, R>[]): void {
    const done: { w: Waiting<A, R>; out: R }[] = [];
    try {
      this.db.exec("BEGIN IMMEDIATE");
      for (const w of group) {
        try {
          done.push({ w, out: this.write(w.arg) });
        } catch (err) {
          // SQLite undid that statement alone; a fault that ended the whole transaction fails the group
          if (!this.db.isTransaction) throw err;
          w.reject(err);
        }
      }
      this.db.exec("COMMIT");
    } catch (err) {
      try {
        if (this.db.isTransaction) this.db.exec("ROLLBACK");
      } catch {
        // the connection is gone (closed, I/O error): nothing of the group was committed either way
      }
      for (const w of group) w.reject(err); // a caller already rejected on its own is not changed by a second reject
      return;
    }
    for (const { w, out } of done) w.resolve(out);
  }
}
