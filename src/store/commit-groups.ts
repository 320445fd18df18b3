// Group commit on SQLite. A COMMIT costs more than the writes it commits (it
// writes the WAL frames of every page the transaction touched), and work
// arrives in bunches: a Telegram poll hands over up to 100 messages at once,
// webhooks and sockets deliver several in one turn of the event loop, and
// turns of different chats finish at the same moment, touching the same
// pages (the tails of the inbox, messages and outbox tables). So the writes
// and transactions asked for in one turn of the event loop run at its end
// (setImmediate) inside ONE transaction, and every caller hears of its result
// only after that COMMIT: a message is still acknowledged, and a reply still
// sent, only once what it depends on is durable. A lone write is one
// statement (no BEGIN/COMMIT around it), a lone transaction a plain BEGIN …
// COMMIT, as before.
//
// Each part stays all-or-nothing: a transaction body runs inside its own
// SAVEPOINT and, when it throws, is rolled back to it alone; a single write
// that fails changes nothing by itself (SQLite undoes the statement). Either
// fails only its caller; the rest of the group commits. A body that runs
// while nothing of the group has been kept yet (the first one, usually) needs
// no savepoint: the transaction holds its writes alone, so when it throws the
// transaction is rolled back and begun again (the cost falls on the rare
// failure). Savepoints are not released one by one: COMMIT releases them all.
// So a group of n bodies is BEGIN, n - 1 SAVEPOINTs and COMMIT. A fault that
// ends the whole transaction (disk full, I/O error) or a COMMIT that fails
// rejects every caller of the group: nothing of it was stored.
import type { StoreSet } from "./backend.ts";
import type { Db } from "./db.ts";

interface Waiting {
  fn: (tx: StoreSet) => unknown;
  /** several writes that must commit together (a savepoint when it shares the transaction) */
  whole: boolean;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** the connection's lock: held while a group runs, so calls from outside it wait (sqlite-backend.ts) */
export interface ConnectionLock {
  take(): Promise<() => void>;
}

/** one name for every body's savepoint: ROLLBACK TO goes to the latest of that name */
const SAVEPOINT = "sb_group";

export class CommitGroups {
  private readonly db: Db;
  private readonly tx: StoreSet;
  private readonly lock: ConnectionLock;
  private queue: Waiting[] = [];
  private flushing: Promise<void> | undefined;

  /** `tx` is the stores bound to the group's transaction (no waiting for the lock the group holds) */
  constructor(db: Db, tx: StoreSet, lock: ConnectionLock) {
    this.db = db;
    this.tx = tx;
    this.lock = lock;
  }

  /** runs `fn` in a transaction shared with whatever else comes in this turn of the event loop; settles after the COMMIT */
  transaction<T>(fn: (tx: StoreSet) => Promise<T>): Promise<T> {
    return this.add(fn, true) as Promise<T>;
  }

  /** one write statement, committed with whatever else comes in this turn of the event loop */
  write<T>(fn: () => T): Promise<T> {
    return this.add(fn, false) as Promise<T>;
  }

  /** resolves once nothing handed in is still waiting to be committed */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private add(fn: (tx: StoreSet) => unknown, whole: boolean): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.queue.push({ fn, whole, resolve, reject });
      this.flushing ??= new Promise<void>((done) => setImmediate(() => void this.flush().finally(done)));
    });
  }

  private async flush(): Promise<void> {
    // whatever is handed in while an earlier group still holds the connection joins this one
    const release = await this.lock.take();
    const group = this.queue;
    this.queue = [];
    this.flushing = undefined;
    try {
      if (group.length === 1 && !group[0]!.whole) this.alone(group[0]!);
      else await this.together(group);
    } finally {
      release();
    }
  }

  private alone(w: Waiting): void {
    try {
      w.resolve(w.fn(this.tx));
    } catch (err) {
      w.reject(err);
    }
  }

  private async together(group: Waiting[]): Promise<void> {
    const done: { w: Waiting; out: unknown }[] = [];
    const shared = group.length > 1;
    // A place to roll a failing body back to, with nothing kept since it was made: at first the
    // transaction's own start (undone by ROLLBACK and begun anew), then the latest savepoint. A
    // savepoint stays open once its body succeeded (COMMIT releases them all, one RELEASE fewer per
    // body) and the next body gets a new one nested in it; a body rolled back to it leaves it as it
    // was, so the next body reuses it.
    let mark: "transaction" | "savepoint" | undefined = "transaction";
    try {
      this.db.exec("BEGIN IMMEDIATE");
      for (const w of group) {
        if (shared && w.whole && !mark) {
          this.db.exec(`SAVEPOINT ${SAVEPOINT}`);
          mark = "savepoint";
        }
        try {
          const out = await w.fn(this.tx);
          done.push({ w, out });
          mark = undefined; // something is kept now: rolling back to the mark would undo it
        } catch (err) {
          // alone in the transaction, or a fault that ended it: the whole group fails
          if (!shared || !this.db.isTransaction) throw err;
          if (w.whole && mark === "savepoint") this.db.exec(`ROLLBACK TO ${SAVEPOINT}`);
          else if (w.whole) {
            // it wrote alone in the transaction: undo that and begin the rest of the group anew
            this.db.exec("ROLLBACK");
            this.db.exec("BEGIN IMMEDIATE");
          }
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
