// Opening the database: pragmas, forward-only schema migrations keyed by
// PRAGMA user_version, and a transaction helper.
//
// Durability: WAL with synchronous=NORMAL. A committed transaction survives
// the process being killed (kill -9, OOM); only a power loss or kernel crash
// can lose the last few commits. That is the trade every chat gateway makes:
// FULL would fsync every inbound message.
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { SwitchboardError } from "../core/errors.ts";
import { MIGRATIONS } from "./schema.ts";

export type Db = DatabaseSync;

export function openDatabase(file: string): Db {
  if (file !== ":memory:") {
    const dir = dirname(file);
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  let db: Db;
  try {
    db = new DatabaseSync(file);
  } catch (err) {
    throw new SwitchboardError("store", `cannot open the database ${file}: ${(err as Error).message}. Check the path and its permissions`, { cause: err });
  }
  if (file !== ":memory:") {
    try {
      chmodSync(file, 0o600);
    } catch {
      // not ours to change (e.g. a read-only mount); SQLite will say if it matters
    }
  }
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA foreign_keys = ON");
  db.exec("PRAGMA busy_timeout = 5000");
  migrate(db, file);
  return db;
}

function migrate(db: Db, file: string): void {
  const current = (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
  if (current > MIGRATIONS.length) {
    db.close();
    throw new SwitchboardError(
      "store",
      `the database ${file} was written by a newer Switchboard (schema ${current}, this one knows ${MIGRATIONS.length}). Upgrade Switchboard, or point SWITCHBOARD_HOME elsewhere`,
    );
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    transaction(db, () => {
      db.exec(MIGRATIONS[v]!);
      db.exec(`PRAGMA user_version = ${v + 1}`);
    });
  }
}

/** Runs fn inside BEGIN IMMEDIATE … COMMIT; any throw rolls everything back. */
export function transaction<T>(db: Db, fn: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const out = fn();
    db.exec("COMMIT");
    return out;
  } catch (err) {
    db.exec("ROLLBACK");
    throw err;
  }
}
