// Public shapes of the provider router: its options, the Router it returns,
// and the snapshot `status` shows.
import type { Clock } from "../../core/clock.ts";
import type { Logger } from "../../core/logger.ts";
import type { Attempt, ChatRouter, FailureReason, ModelDirectory, ModelEntry, ProviderClient } from "../types.ts";
import type { RouterCounters } from "./shared-counters.ts";
import type { RouterStateStore } from "./state-store.ts";

/** Waits ms (rejects when the signal aborts). Tests pass one that advances a ManualClock. */
export type SleepFn = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RouterOptions {
  directory: ModelDirectory;
  /** the protocol client for an entry; called per attempt, cached per entry object */
  clientFor: (entry: ModelEntry) => ProviderClient;
  /** agents.defaults: the primary model reference and its fallback chain */
  defaults: { primary?: string; fallbacks: string[] };
  /** default: the system clock */
  clock?: Clock;
  /** default: silent */
  logger?: Logger;
  /** where cooldowns and last errors persist; default: nothing persists */
  stateStore?: RouterStateStore;
  /** default: a real (timer) sleep */
  sleep?: SleepFn;
  /** how many attempts attemptsLog() keeps; default 500 */
  attemptsLogSize?: number;
  /**
   * round-robin positions and rpm windows; sqliteCounters(<state>/state/router.db)
   * shares them between processes. Default: this process only.
   */
  counters?: RouterCounters;
}

export interface LastError {
  reason: FailureReason;
  status?: number;
  /** short and scrubbed of secrets */
  message: string;
  at: number;
}

/** One call target (an entry with one of its keys) as `status` shows it. */
export interface TargetSnapshot {
  /** "<entryId>|<keyIndex>" */
  key: string;
  entryId: string;
  modelName: string;
  /** the configured reference, when the entry is known */
  model?: string;
  keyIndex: number;
  /** epoch ms while cooling down, else null */
  cooldownUntil: number | null;
  /** consecutive failures (0 after a success or 24 h without failure) */
  errorCount: number;
  lastError: LastError | null;
  lastSuccessAt: number | null;
  /** sliding 60 s window of the entry, when it has an rpm limit */
  rpm: { limit: number; used: number } | null;
}

export interface RouterSnapshot {
  /** clock time the snapshot was taken */
  at: number;
  targets: TargetSnapshot[];
  /** round-robin counter per group (model_name): requests that entered the group */
  groups: Record<string, number>;
}

export interface Router extends ChatRouter {
  snapshot(): RouterSnapshot;
  /** the most recent attempts, oldest first (at most `limit`, default all kept) */
  attemptsLog(limit?: number): Attempt[];
  /** ends a target's cooldown now (the control page); false when it was not cooling or failing */
  clearCooldown(key: string): boolean;
  /** write pending state to the state store now (call on shutdown) */
  flush(): void;
  /** flush, and release the shared counters (the runtime's close) */
  close(): void;
}
