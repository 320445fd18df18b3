// The SQLite store presented through the async StoreBackend interface, with
// no change to what it does: every call is the synchronous SQLite call,
// answered as a resolved promise. What an async caller adds is interleaving,
// so transactions are kept whole here: while one runs (BEGIN IMMEDIATE …
// awaiting its body … COMMIT), calls from outside it wait, because on one
// connection they would otherwise land inside it and commit or roll back
// with it.
import type { AsyncKvStore, StoreBackend, StoreSet } from "./backend.ts";
import type { Async } from "./backend.ts";
import { openStore, type Store } from "./index.ts";

/** A view of `target` whose methods return promises; `ready` runs before each call (and may make it wait). */
function lift<T extends object>(target: T, ready: () => Promise<void>): Async<T> {
  return new Proxy(target, {
    get(t, key) {
      const v: unknown = Reflect.get(t, key, t);
      if (typeof v !== "function") return v;
      return async (...args: unknown[]) => {
        await ready();
        return (v as (...a: unknown[]) => unknown).apply(t, args);
      };
    },
  }) as unknown as Async<T>;
}

function storeSet(s: Store, ready: () => Promise<void>): StoreSet {
  return {
    sessions: lift(s.sessions, ready),
    delivery: lift(s.delivery, ready),
    pairing: lift(s.pairing, ready),
    cron: lift(s.cron, ready),
    kv: lift(s.kv, ready) as unknown as AsyncKvStore,
    journal: lift(s.journal, ready),
    cursors: lift(s.cursors, ready),
  };
}

export interface SqliteBackend extends StoreBackend {
  readonly kind: "sqlite";
  /** the synchronous store underneath, for callers not yet converted to the async interface */
  readonly sync: Store;
}

/** Wraps an open SQLite store; closing the backend closes it. */
export function sqliteBackend(store: Store): SqliteBackend {
  let active: Promise<void> | undefined;
  // Outside calls check after their last await and then run synchronously,
  // so no transaction can begin between the check and the call.
  const outside = async (): Promise<void> => {
    while (active) await active;
  };
  const inside = async (): Promise<void> => undefined;
  const outer = storeSet(store, outside);
  return {
    kind: "sqlite",
    location: store.file,
    sync: store,
    health: store.health,
    ...outer,
    async transaction<T>(fn: (tx: StoreSet) => Promise<T>): Promise<T> {
      while (active) await active;
      let done!: () => void;
      active = new Promise<void>((resolve) => (done = resolve));
      try {
        store.db.exec("BEGIN IMMEDIATE");
        try {
          const out = await fn(storeSet(store, inside));
          store.db.exec("COMMIT");
          return out;
        } catch (err) {
          if (store.db.isTransaction) store.db.exec("ROLLBACK");
          throw err;
        }
      } finally {
        active = undefined;
        done();
      }
    },
    async probe() {
      await outside();
      store.probe();
    },
    async close() {
      await outside();
      store.close();
    },
  };
}

/** Opens (creating and migrating when needed) the SQLite database at `file` as a StoreBackend. */
export function openSqliteBackend(file: string, opts: { probeEveryMs?: number } = {}): SqliteBackend {
  return sqliteBackend(openStore(file, opts));
}
