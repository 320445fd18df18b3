// One asynchronous face for both storage backends. The SQLite stores are
// synchronous (node:sqlite); PostgreSQL is a network server and cannot be.
// Every async store type is derived from the public shape of the SQLite
// store class by a mapped type, so a method added to a SQLite store (or to
// the interface it implements, in types.ts) is at once required of the
// PostgreSQL store too: the typecheck fails until both have it.
import type { StoreHealth } from "./health.ts";
import type { SqliteCronStore } from "./cron.ts";
import type { SqliteCursorStore } from "./cursors.ts";
import type { SqliteDeliveryStore } from "./delivery.ts";
import type { SqliteToolJournal } from "./journal.ts";
import type { SqlitePairingStore } from "./pairing.ts";
import type { SqliteSessionStore } from "./sessions.ts";

/** The async form of a store: every method returns a promise of what the sync one returns. */
export type Async<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : T[K];
};

export type AsyncSessionStore = Async<SqliteSessionStore>;
export type AsyncDeliveryStore = Async<SqliteDeliveryStore>;
export type AsyncPairingStore = Async<SqlitePairingStore>;
export type AsyncCronStore = Async<SqliteCronStore>;
export type AsyncToolJournal = Async<SqliteToolJournal>;
export type AsyncCursorStore = Async<SqliteCursorStore>;

/** KvStore.get is generic; a mapped type would drop its type parameter, so it is spelled out. */
export interface AsyncKvStore {
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** `now` defaults to Date.now(); a value of undefined deletes the key */
  set(key: string, value: unknown, now?: number): Promise<void>;
  /** true when the key existed */
  delete(key: string): Promise<boolean>;
  /**
   * the keys starting with `prefix` and their values, at most `limit`, by key
   * (both backends have it; optional so that a wrapper may leave it out, and
   * a caller then reads key by key)
   */
  entries?<T = unknown>(prefix: string, limit: number): Promise<[string, T][]>;
}

export type StoreKind = "sqlite" | "postgres";

/** Every store, bound to one connection (the pool, or one transaction). */
export interface StoreSet {
  sessions: AsyncSessionStore;
  delivery: AsyncDeliveryStore;
  pairing: AsyncPairingStore;
  cron: AsyncCronStore;
  kv: AsyncKvStore;
  journal: AsyncToolJournal;
  cursors: AsyncCursorStore;
}

export interface StoreBackend extends StoreSet {
  readonly kind: StoreKind;
  /** where the data lives, fit for display (a URL's password is masked) */
  readonly location: string;
  /** whether writes work right now; connection loss and a full disk are faults the gateway waits out */
  readonly health: StoreHealth;
  /**
   * Runs `fn` in one transaction with stores bound to it: everything it wrote
   * commits together, or (when it throws) nothing does. A store method that
   * itself uses a transaction nests inside it. Inside `fn` use `tx` only:
   * a call on the backend itself is another caller (on SQLite it waits for
   * this transaction to end, so awaiting it inside `fn` never finishes).
   */
  transaction<T>(fn: (tx: StoreSet) => Promise<T>): Promise<T>;
  /** a small write that needs new space (health's prober); rejects while the store cannot take it */
  probe(): Promise<void>;
  /**
   * calls `listener` with the key of every session this process writes
   * through the store (session-writes.ts); returns the way to stop
   */
  onSessionWrite(listener: (sessionKey: string) => void): () => void;
  /** closes the connection(s); later calls do nothing */
  close(): Promise<void>;
}

const DAY_MS = 24 * 60 * 60_000;

/** Retention on either backend: answered messages and journaled tool calls older than `retentionDays`, in one transaction. */
export async function pruneBackend(store: StoreBackend, retentionDays: number, now: number = Date.now()): Promise<{ messages: number; toolCalls: number }> {
  if (!(retentionDays > 0)) throw new RangeError(`retention must be a positive number of days, got ${retentionDays}`);
  const before = now - retentionDays * DAY_MS;
  return store.transaction(async (tx) => ({ messages: await tx.delivery.prune(before), toolCalls: await tx.journal.prune(before) }));
}
