// Temp databases for the store tests: every test gets its own directory
// (removed afterwards) and can "restart" by closing and reopening the file.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";
import { openStore, type Store } from "../../src/store/index.ts";

export interface TempDb {
  /** the test's temp directory */
  dir: string;
  /** the database path, in a subdirectory that does not exist yet */
  file: string;
  /** opens (or reopens, after a close) the store on `file`; closed after the test */
  open(): Store;
}

export function useTempDb(): TempDb {
  const handles: Store[] = [];
  const t: TempDb = {
    dir: "",
    file: "",
    open() {
      const s = openStore(t.file);
      handles.push(s);
      return s;
    },
  };
  beforeEach(() => {
    t.dir = mkdtempSync(join(tmpdir(), "sb-store-"));
    t.file = join(t.dir, "state", "switchboard.db");
  });
  afterEach(() => {
    for (const s of handles.splice(0)) s.close();
    rmSync(t.dir, { recursive: true, force: true });
  });
  return t;
}

/** closes `s` and opens the same file again, like a daemon restart */
export function restart(t: TempDb, s: Store): Store {
  s.close();
  return t.open();
}
