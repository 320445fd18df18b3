// Retention: answered messages, sent reply chunks (with the media they
// carry inline) and journaled tool calls are deleted once older than the
// retention period, so the database does not grow with every message
// forever. Unanswered messages, unsent chunks and dead letters are never
// pruned. `vacuum` also gives the freed pages back to the file system.
import { statSync } from "node:fs";
import { transaction } from "./db.ts";
import { pruneBackend, type StoreBackend } from "./backend.ts";
import type { Store } from "./index.ts";

export const DEFAULT_RETENTION_DAYS = 7;
const DAY_MS = 24 * 60 * 60_000;

export interface PruneResult {
  /** inbox and outbox rows deleted */
  messages: number;
  /** tool-journal entries deleted */
  toolCalls: number;
}

/** deletes what was answered more than `retentionDays` ago */
export function pruneAnswered(store: Pick<Store, "db" | "delivery" | "journal">, retentionDays: number, now: number = Date.now()): PruneResult {
  if (!(retentionDays > 0)) throw new RangeError(`retention must be a positive number of days, got ${retentionDays}`);
  const before = now - retentionDays * DAY_MS;
  return transaction(store.db, () => ({ messages: store.delivery.prune(before), toolCalls: store.journal.prune(before) }));
}

export interface VacuumResult extends PruneResult {
  bytesBefore: number;
  bytesAfter: number;
}

function fileBytes(file: string): number {
  let total = 0;
  for (const f of [file, `${file}-wal`]) {
    try {
      total += statSync(f).size;
    } catch {
      // no WAL file right now
    }
  }
  return total;
}

/** prunes, then rewrites the database file compactly and empties the WAL */
export function vacuumStore(store: Pick<Store, "db" | "delivery" | "journal" | "file">, retentionDays: number, now: number = Date.now()): VacuumResult {
  const bytesBefore = fileBytes(store.file);
  const pruned = pruneAnswered(store, retentionDays, now);
  store.db.exec("VACUUM");
  store.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  return { ...pruned, bytesBefore, bytesAfter: fileBytes(store.file) };
}

/** How often the daemon prunes. */
export const PRUNE_EVERY_MS = 60 * 60_000;

/**
 * Prunes now and then every hour; returns the stop function. A failed prune
 * (e.g. the disk is full) is reported and tried again next time.
 */
export function startRetention(store: StoreBackend, retentionDays: number, onError: (err: unknown) => void, everyMs = PRUNE_EVERY_MS): () => void {
  const run = () =>
    void pruneBackend(store, retentionDays).catch((err: unknown) => {
      store.health.failed(err);
      onError(err);
    });
  run();
  const timer = setInterval(run, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
