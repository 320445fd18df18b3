// Opening the database: directory, pragmas, forward-only schema migrations
// keyed by PRAGMA user_version, and the transaction helper every store uses.
//
// Durability: WAL with synchronous=NORMAL. In WAL mode a transaction is
// durable against a crash of the *process* (kill -9, OOM killer, a thrown
// error that takes Node down) as soon as COMMIT returns: the commit record is
// in the WAL file, which the operating system keeps even though it has not
// been fsynced. Only a power loss or kernel crash can lose the last few
// commits, and even then the database stays consistent (never a half-written
// transaction). FULL would fsync on every inbound message and every reply
// chunk for a guarantee a chat gateway does not need: a message lost to a
// power cut is redelivered by the platform (Telegram and Discord retry until
// acknowledged), and the inbox dedupes it.
import { chmodSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { SwitchboardError, errorMessage } from "../core/errors.ts";
import { backupBeforeMigration, usableMigrationBackup } from "./backup.ts";
import { MIGRATIONS } from "./schema.ts";

export type Db = DatabaseSync;

/** The schema version this build writes; a database above it is refused. */
export const SCHEMA_VERSION = MIGRATIONS.length;

const BUSY_TIMEOUT_MS = 5000;
/** about SQLite's default checkpoint size (1,000 pages): a WAL a burst grew is cut back to it when it next starts over (the daemon allows its bound's size: checkpoint.ts) */
export const WAL_SIZE_LIMIT_BYTES = 4 * 1024 * 1024;

function isMemory(file: string): boolean {
  return file === ":memory:" || file === "";
}

/**
 * Opens (creating when absent) the database at `file`, or a private in-memory
 * database for ":memory:". The parent directory is created with mode 0700 and
 * the file is made 0600: it holds conversations. Throws SwitchboardError
 * ("store") for a file that cannot be opened, is not a database, or was
 * written by a newer Switchboard.
 */
export function openDatabase(file: string): Db {
  const memory = isMemory(file);
  if (!memory) {
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new SwitchboardError("store", `cannot create the directory of the database ${file}: ${errorMessage(err)}. Check the path (SWITCHBOARD_HOME) and its permissions`, { cause: err });
    }
  }
  let db: Db;
  try {
    db = new DatabaseSync(memory ? ":memory:" : file, { timeout: BUSY_TIMEOUT_MS });
  } catch (err) {
    throw new SwitchboardError("store", `cannot open the database ${file}: ${errorMessage(err)}. Check the path (SWITCHBOARD_HOME) and its permissions`, { cause: err });
  }
  try {
    if (!memory) tighten(file);
    // busy_timeout first: switching to WAL may have to wait for another process
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    // SQLite's automatic checkpoint stays at its default (1,000 pages) here: the daemon raises it and
    // checkpoints when no turn runs (checkpoint.ts); every other process keeps this bound
    // a WAL that grew under a burst goes back to this size when it is next started over
    db.exec(`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    db.exec("PRAGMA foreign_keys = ON");
    // A page written inside a savepoint (each turn of a group commit has one, commit-groups.ts) has its
    // old content kept for a rollback to it, in a journal SQLite spills to a temporary FILE past 64 KB:
    // ~35 KB of file writes per message in a burst, twice what the WAL itself takes. In memory it is a
    // copy freed at COMMIT (a few pages per turn); temporary tables and sorts stay small here too.
    db.exec("PRAGMA temp_store = MEMORY");
    migrate(db, file);
  } catch (err) {
    try {
      db.close();
    } catch {
      // already closed or never usable; the original error is the one to report
    }
    if (err instanceof SwitchboardError) throw err;
    const msg = errorMessage(err);
    if (/not a database|malformed|corrupt/i.test(msg)) {
      throw new SwitchboardError("store", `${file} is not a readable Switchboard database (${msg}). Move it aside and restart to begin with an empty one, or restore it from a backup`, { cause: err });
    }
    throw new SwitchboardError("store", `cannot use the database ${file}: ${msg}. Check that the file and its directory are writable by this user`, { cause: err });
  }
  return db;
}

function tighten(file: string): void {
  try {
    chmodSync(file, 0o600);
  } catch {
    // not ours to change (e.g. a read-only mount); SQLite says if it matters
  }
}

function userVersion(db: Db): number {
  return (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
}

/**
 * Applies the migrations the database has not seen, each in its own
 * transaction with the version bump, so a crash mid-migration leaves the
 * previous version intact. The version is read again inside the transaction:
 * two processes opening the same old file at once migrate it once.
 */
function migrate(db: Db, file: string): void {
  const found = userVersion(db);
  if (found > SCHEMA_VERSION) throw newerSchema(file, found);
  // an upgrade can be rolled back: the database as it was, before the first migration
  if (found > 0 && found < SCHEMA_VERSION && !isMemory(file)) backupBeforeMigration(db, file, found, SCHEMA_VERSION);
  for (let v = found; v < SCHEMA_VERSION; v++) {
    transaction(db, () => {
      const now = userVersion(db);
      if (now > v) return; // another process got there first
      db.exec(MIGRATIONS[v]!);
      db.exec(`PRAGMA user_version = ${v + 1}`);
    });
  }
  const after = userVersion(db);
  if (after > SCHEMA_VERSION) throw newerSchema(file, after);
  // A new database starts with no free pages (later migrations drop indexes earlier ones made): a
  // write that needs new space then asks the disk for it, as the health probe's does (health.ts).
  // Cheap here, the file holds only the schema; an upgraded one keeps what it freed for its next rows.
  if (found === 0 && (db.prepare("PRAGMA freelist_count").get() as { freelist_count: number }).freelist_count > 0) db.exec("VACUUM");
}

function newerSchema(file: string, found: number): SwitchboardError {
  const backup = isMemory(file) ? undefined : usableMigrationBackup(file, SCHEMA_VERSION);
  const rollback = backup ? `, or go back to the copy taken before that upgrade: stop the gateway and run \`switchboard restore ${backup}\` (messages since the upgrade are lost)` : "";
  return new SwitchboardError(
    "store",
    `the database ${file} was written by a newer Switchboard (schema version ${found}; this version knows up to ${SCHEMA_VERSION}). Upgrade Switchboard to open it${rollback}, or point SWITCHBOARD_HOME at another directory`,
  );
}

let savepoints = 0;

/**
 * Runs `fn` inside BEGIN IMMEDIATE … COMMIT (the write lock is taken up
 * front, so two processes never deadlock upgrading a read lock); anything
 * thrown rolls everything back and is rethrown. Called inside another
 * transaction it uses a savepoint, so an inner failure the caller catches
 * undoes only the inner work. `fn` must be synchronous.
 */
export function transaction<T>(db: Db, fn: () => T): T {
  if (db.isTransaction) {
    const name = `sb_sp_${++savepoints}`;
    db.exec(`SAVEPOINT ${name}`);
    try {
      const out = settle(fn());
      db.exec(`RELEASE ${name}`);
      return out;
    } catch (err) {
      if (db.isTransaction) {
        db.exec(`ROLLBACK TO ${name}`);
        db.exec(`RELEASE ${name}`);
      }
      throw err;
    }
  }
  db.exec("BEGIN IMMEDIATE");
  try {
    const out = settle(fn());
    db.exec("COMMIT");
    return out;
  } catch (err) {
    // SQLite may already have rolled back (e.g. on SQLITE_FULL); don't mask the cause
    if (db.isTransaction) db.exec("ROLLBACK");
    throw err;
  }
}

/**
 * Statements that commit together: in a transaction of their own when none
 * is open; inside an open one, as they are, with no savepoint (two statements
 * fewer per call on the hot path: a turn's save and its reply). That is right
 * only for writes whose first statement is the only one that can fail on a
 * constraint (a failed statement changes nothing), the later ones failing only
 * with the disk, when the caller's transaction is rolled back whole: every
 * caller lets a store error end its transaction (or, when it shares a commit
 * with others, roll back to its own savepoint: commit-groups.ts). `fn` must be synchronous.
 */
export function writeTogether<T>(db: Db, fn: () => T): T {
  return db.isTransaction ? settle(fn()) : transaction(db, fn);
}

function settle<T>(out: T): T {
  if (out !== null && typeof out === "object" && typeof (out as { then?: unknown }).then === "function") {
    throw new SwitchboardError("internal", "a store transaction was given an async function; its work would outlive the transaction. Do the async part before or after, and keep the transaction synchronous");
  }
  return out;
}
