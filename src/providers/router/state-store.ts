// Router state that outlives the process: cooldowns, error counters and last
// errors per target, keyed by the target's fingerprint (health.ts targetKey:
// endpoint + model + key hash, never the key itself). Version 1 files, keyed
// by position in model_list, are ignored: that is the bug version 2 fixes.
// The daemon writes it; `switchboard status` (another process) reads it.
import { mkdirSync, readFileSync, renameSync, writeFileSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import type { Logger } from "../../core/logger.ts";
import { redactValue } from "../../core/redact.ts";
import { FAILURE_REASONS } from "../types.ts";

const LastErrorSchema = z.object({
  reason: z.enum(FAILURE_REASONS),
  status: z.number().int().optional(),
  message: z.string(),
  at: z.number(),
});

const TargetStateSchema = z.object({
  /** targetKey(): a hash of protocol, endpoint, model id and key */
  key: z.string().min(1),
  entryId: z.string().min(1),
  keyIndex: z.number().int().min(0),
  modelName: z.string(),
  errorCount: z.number().int().min(0),
  billingCount: z.number().int().min(0).default(0),
  cooldownUntil: z.number().nullable(),
  lastFailureAt: z.number().nullable().default(null),
  lastError: LastErrorSchema.nullable(),
  lastSuccessAt: z.number().nullable(),
});

export const RouterPersistedSchema = z.object({
  version: z.literal(2),
  savedAt: z.number(),
  targets: z.array(TargetStateSchema),
});

export type PersistedTarget = z.infer<typeof TargetStateSchema>;
export type RouterPersisted = z.infer<typeof RouterPersistedSchema>;

export interface RouterStateStore {
  load(): RouterPersisted | undefined;
  /**
   * Stores the state. `urgent` (a failure, a cooldown cleared) asks for the
   * write now; otherwise a store may coalesce writes.
   */
  save(state: RouterPersisted, opts?: { urgent?: boolean }): void;
  /** writes anything a store has held back */
  flush?(): void;
  /**
   * A store shared by several gateways (src/fleet/router-health.ts) calls
   * `apply` with the targets other gateways changed, so a cooldown one gateway
   * starts is honoured by all of them.
   */
  watch?(apply: (changed: RouterPersisted) => void): void;
  /** stops watching and writing (the router's close) */
  close?(): void;
}

/** Keeps the state in memory (tests, one-shot commands). */
export function memoryStateStore(initial?: RouterPersisted): RouterStateStore & { saves: number } {
  let state = initial ? structuredClone(initial) : undefined;
  const store = {
    saves: 0,
    load: () => (state ? structuredClone(state) : undefined),
    save: (s: RouterPersisted) => {
      state = structuredClone(s);
      store.saves++;
    },
  };
  return store;
}

/** Parses a state file's text; undefined when it is not router state. */
export function parseRouterState(text: string): RouterPersisted | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = RouterPersistedSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/** Reads a state file as `status` does; undefined when missing or unreadable. */
export function readRouterState(path: string): RouterPersisted | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  return parseRouterState(text);
}

export interface FileStateStoreOptions {
  /** ordinary saves closer together than this are coalesced (default 1000 ms; 0 writes every save) */
  minIntervalMs?: number;
  logger?: Logger;
}

/**
 * A JSON file, mode 0600, written atomically (temporary file + rename) in a
 * directory created on demand. Urgent saves are written at once; others at
 * most once per `minIntervalMs`, the last one on a timer that does not keep
 * the process alive (flush() writes it at shutdown).
 */
export function fileStateStore(path: string, opts: FileStateStoreOptions = {}): RouterStateStore {
  const minInterval = opts.minIntervalMs ?? 1000;
  let lastWrite = Number.NEGATIVE_INFINITY;
  let pending: RouterPersisted | undefined;
  let timer: NodeJS.Timeout | undefined;
  let warned = false;

  const write = (state: RouterPersisted) => {
    pending = undefined;
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    lastWrite = performance.now();
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`;
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      writeFileSync(tmp, `${JSON.stringify(redactValue(state))}\n`, { mode: 0o600 });
      renameSync(tmp, path);
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        // nothing was written
      }
      if (!warned) {
        warned = true;
        opts.logger?.warn(
          { path, err: (err as Error).message },
          "cannot write the router state file; `switchboard status` will not show cooldowns (check the directory's permissions)",
        );
      }
    }
  };

  return {
    load() {
      let text: string;
      try {
        text = readFileSync(path, "utf8");
      } catch {
        return undefined;
      }
      const state = parseRouterState(text);
      if (!state) opts.logger?.warn({ path }, "ignoring an unreadable router state file; cooldowns start fresh");
      return state;
    },
    save(state, saveOpts) {
      const since = performance.now() - lastWrite;
      if (saveOpts?.urgent || minInterval <= 0 || since >= minInterval) {
        write(state);
        return;
      }
      pending = state;
      if (!timer) {
        timer = setTimeout(() => {
          timer = undefined;
          if (pending) write(pending);
        }, minInterval - since);
        timer.unref();
      }
    },
    flush() {
      if (pending) write(pending);
    },
  };
}
