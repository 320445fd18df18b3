// The SQLite store presented through the async StoreBackend interface: every
// call is the synchronous SQLite call, answered as a resolved promise (one
// exception: acceptInbound, below). What an async caller adds is interleaving,
// so transactions are kept whole here: while one runs (BEGIN IMMEDIATE …
// awaiting its body … COMMIT), calls from outside it wait, because on one
// connection they would otherwise land inside it and commit or roll back
// with it. Transactions, and inbound messages (acceptInbound outside a
// transaction), asked for in the same turn of the event loop share one
// transaction at its end, each answered after that COMMIT (commit-groups.ts);
// so do the outbox's sent marks.
import type { AsyncKvStore, StoreBackend, StoreSet } from "./backend.ts";
import type { Async } from "./backend.ts";
import { CommitGroups } from "./commit-groups.ts";
import { openStore, type Store } from "./index.ts";

/**
 * A view of `target` whose methods return promises. `blocked` says whether a
 * call must wait first (a transaction of another caller is open) and for
 * what; undefined means go. The fast path (nothing to wait for) makes the
 * synchronous call at once and hands back a settled promise: an async caller
 * costs SQLite one promise per call, not a chain of awaits. The view is a
 * plain object with one wrapper per method, built once (no proxy trap on
 * every call).
 */
function lift<T extends object>(target: T, blocked: () => Promise<void> | undefined): Async<T> {
  const view: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const key of methodNames(target)) {
    const fn = (target as Record<string, (...a: unknown[]) => unknown>)[key]!;
    const call = (args: unknown[]): Promise<unknown> => {
      const wait = blocked();
      if (wait) return wait.then(() => call(args));
      try {
        return Promise.resolve(fn.apply(target, args));
      } catch (err) {
        return Promise.reject(err);
      }
    };
    view[key] = (...args: unknown[]) => call(args);
  }
  return view as unknown as Async<T>;
}

/** the callable members of `target`, its own and its classes' (not Object's) */
function methodNames(target: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = target; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (key === "constructor" || names.has(key)) continue;
      const d = Object.getOwnPropertyDescriptor(o, key);
      if (d && typeof d.value === "function") names.add(key);
    }
  }
  return [...names];
}

/** A synchronous store seen through the async interface, with no transaction to wait for (in-memory stores in tests, tools). */
export function asyncView<T extends object>(target: T): Async<T> {
  return lift(target, () => undefined);
}

function storeSet(s: Store, ready: () => Promise<void> | undefined): StoreSet {
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

/** one backend per store: two would each think no transaction is open on the one connection */
const wrapped = new WeakMap<Store, SqliteBackend>();

/** Wraps an open SQLite store (the same backend every time for the same store); closing the backend closes it. */
export function sqliteBackend(store: Store): SqliteBackend {
  let backend = wrapped.get(store);
  if (!backend) {
    backend = wrap(store);
    wrapped.set(store, backend);
  }
  return backend;
}

function wrap(store: Store): SqliteBackend {
  let active: Promise<void> | undefined;
  // Outside calls wait while a transaction is open; once it ended they
  // check again (another may have begun) and then run synchronously, so no
  // transaction can begin between the check and the call.
  const outside = (): Promise<void> | undefined => active;
  const inside = (): undefined => undefined;
  const inner = storeSet(store, inside);
  const outer = storeSet(store, outside);
  const lock = {
    async take(): Promise<() => void> {
      while (active) await active;
      let done!: () => void;
      active = new Promise<void>((resolve) => (done = resolve));
      return () => {
        active = undefined;
        done();
      };
    },
  };
  // transactions and inbound messages arriving together share one commit (commit-groups.ts)
  const groups = new CommitGroups(store.db, inner, lock);
  outer.delivery.acceptInbound = (msg) => groups.write(() => store.delivery.acceptInbound(msg));
  // an outbox page's sent mark joins the turns committing at that moment (it touches the same tail pages)
  // instead of a commit of its own; the outbox hears of it after that COMMIT, as before
  outer.delivery.markSent = (sent, now) => groups.write(() => store.delivery.markSent(sent, now));
  return {
    kind: "sqlite",
    location: store.file,
    sync: store,
    health: store.health,
    ...outer,
    transaction: (fn) => groups.transaction(fn),
    async probe() {
      while (active) await active;
      store.probe();
    },
    onSessionWrite: (listener) => store.sessionWrites.listen(listener),
    async close() {
      await groups.idle();
      while (active) await active;
      store.close();
    },
  };
}

/** Opens (creating and migrating when needed) the SQLite database at `file` as a StoreBackend. */
export function openSqliteBackend(file: string, opts: { probeEveryMs?: number } = {}): SqliteBackend {
  return sqliteBackend(openStore(file, opts));
}
