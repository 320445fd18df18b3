// Router state that outlives the process: cooldowns, error counters and last
// errors per target (never a key). The daemon writes it; `switchboard
// status` (another process) reads it.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { TargetHealth } from "./health.ts";

export interface RouterPersisted {
  version: 1;
  savedAt: number;
  targets: Record<string, TargetHealth>;
  /** recent attempts, newest last */
  attempts?: unknown[];
}

export interface RouterStateStore {
  load(): RouterPersisted | undefined;
  save(state: RouterPersisted): void;
}

export function memoryStateStore(): RouterStateStore & { last: RouterPersisted | undefined } {
  const store = {
    last: undefined as RouterPersisted | undefined,
    load: () => (store.last ? structuredClone(store.last) : undefined),
    save: (s: RouterPersisted) => void (store.last = structuredClone(s)),
  };
  return store;
}

export function fileStateStore(path: string): RouterStateStore {
  return {
    load() {
      if (!existsSync(path)) return undefined;
      try {
        const data = JSON.parse(readFileSync(path, "utf8")) as RouterPersisted;
        return data.version === 1 && data.targets ? data : undefined;
      } catch {
        return undefined; // a torn or foreign file: start fresh rather than refuse to run
      }
    },
    save(state) {
      const dir = dirname(path);
      if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
      renameSync(tmp, path);
    },
  };
}
