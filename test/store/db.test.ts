import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { SwitchboardError } from "../../src/core/errors.ts";
import { openDatabase, openStore, SCHEMA_VERSION, transaction } from "../../src/store/index.ts";
import { MIGRATIONS } from "../../src/store/schema.ts";
import { useTempDb } from "./helpers.ts";

const t = useTempDb();

function storeError(fn: () => unknown): SwitchboardError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SwitchboardError);
    expect((err as SwitchboardError).code).toBe("store");
    return err as SwitchboardError;
  }
  throw new Error("expected a SwitchboardError");
}

function version(file: string): number {
  const raw = new DatabaseSync(file);
  try {
    return (raw.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
  } finally {
    raw.close();
  }
}

describe("opening", () => {
  it("creates a private directory and file, in WAL mode with the documented pragmas", () => {
    const s = t.open();
    expect(statSync(join(t.dir, "state")).mode & 0o777).toBe(0o700);
    expect(statSync(t.file).mode & 0o777).toBe(0o600);
    const pragma = (name: string) => Object.values(s.db.prepare(`PRAGMA ${name}`).get()!)[0];
    expect(pragma("journal_mode")).toBe("wal");
    expect(pragma("synchronous")).toBe(1); // NORMAL
    expect(pragma("foreign_keys")).toBe(1);
    expect(pragma("busy_timeout")).toBe(5000);
    expect(pragma("temp_store")).toBe(2); // MEMORY: a savepoint's page copies never go to a temporary file
    expect(pragma("user_version")).toBe(SCHEMA_VERSION);
  });

  it("gives every ':memory:' store its own empty database", () => {
    const a = openStore(":memory:");
    const b = openStore(":memory:");
    a.kv.set("x", 1);
    expect(a.kv.get("x")).toBe(1);
    expect(b.kv.get("x")).toBeUndefined();
    a.close();
    a.close(); // idempotent
    b.close();
  });

  it("refuses a database written by a newer version, says what to do, and leaves it untouched", () => {
    t.open().close();
    const raw = new DatabaseSync(t.file);
    raw.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 7}`);
    raw.close();
    const err = storeError(() => openStore(t.file));
    expect(err.message).toContain(t.file);
    expect(err.message).toMatch(/newer Switchboard/);
    expect(err.message).toMatch(/Upgrade Switchboard/);
    expect(err.message).toContain(`schema version ${SCHEMA_VERSION + 7}`);
    expect(version(t.file)).toBe(SCHEMA_VERSION + 7);
  });

  it("says so when the file is not a database", () => {
    const file = join(t.dir, "notes.db");
    writeFileSync(file, "these are my notes, not a database ".repeat(200));
    const err = storeError(() => openDatabase(file));
    expect(err.message).toMatch(/not a readable Switchboard database/);
    expect(err.message).toMatch(/Move it aside/);
  });

  it("says so when the directory cannot be created", () => {
    const blocker = join(t.dir, "file");
    writeFileSync(blocker, "");
    const err = storeError(() => openStore(join(blocker, "sub", "switchboard.db")));
    expect(err.message).toMatch(/cannot create the directory/);
  });
});

describe("migrations", () => {
  function versionOneDb(): void {
    mkdirSync(join(t.dir, "state"), { recursive: true });
    const raw = new DatabaseSync(t.file);
    raw.exec(MIGRATIONS[0]!);
    raw.exec("INSERT INTO sessions (key, created_at, updated_at, summary) VALUES ('old', 1, 1, 'earlier chat')");
    raw.exec(`INSERT INTO messages (session_key, generation, json, created_at) VALUES ('old', 0, '{"role":"user","content":"hi from v1"}', 1)`);
    raw.exec("PRAGMA user_version = 1");
    raw.close();
  }

  it("brings a version 1 database forward and keeps its data", () => {
    versionOneDb();
    const s = t.open();
    expect(version(t.file)).toBe(SCHEMA_VERSION);
    expect(s.sessions.history("old").map((m) => m.message)).toEqual([{ role: "user", content: "hi from v1" }]);
    expect(s.sessions.getSession("old")).toMatchObject({ summary: "earlier chat", messageCount: 1 });
    expect(s.db.prepare("SELECT role FROM messages").all()).toEqual([{ role: "user" }]);
  });

  it("rolls a failing migration back whole and leaves the version where it was", () => {
    versionOneDb();
    const raw = new DatabaseSync(t.file);
    raw.exec("CREATE INDEX sessions_recent ON sessions(key)"); // migration 2 wants this name
    raw.close();
    const err = storeError(() => openStore(t.file));
    expect(err.message).toMatch(/sessions_recent already exists/);
    expect(version(t.file)).toBe(1);
    const check = new DatabaseSync(t.file);
    const cols = (check.prepare("PRAGMA table_info(messages)").all() as { name: string }[]).map((c) => c.name);
    check.close();
    expect(cols).not.toContain("role"); // the ALTER before the failure was undone too
  });

  it("lets a second handle open an already migrated file without migrating again", () => {
    const a = t.open();
    a.kv.set("k", "v");
    const b = t.open();
    expect(b.kv.get("k")).toBe("v");
    b.cron.add({ schedule: { kind: "every", everyMs: 1000 } as never, payload: { kind: "agent", message: "x" }, origin: { channel: "cli", chatId: "local" }, nextRunAt: 5, createdAt: 0 });
    expect(a.cron.due(10)).toHaveLength(1); // written by one, seen by the other
  });
});

describe("transaction()", () => {
  const db = () => {
    const s = t.open();
    s.db.exec("CREATE TABLE t (v INTEGER)");
    const values = () => (s.db.prepare("SELECT v FROM t ORDER BY v").all() as { v: number }[]).map((r) => r.v);
    return { s, values };
  };

  it("commits and returns the callback's value", () => {
    const { s, values } = db();
    expect(transaction(s.db, () => (s.db.exec("INSERT INTO t VALUES (1)"), "ok"))).toBe("ok");
    expect(values()).toEqual([1]);
    expect(s.db.isTransaction).toBe(false);
  });

  it("rolls everything back when the callback throws, and rethrows", () => {
    const { s, values } = db();
    expect(() =>
      transaction(s.db, () => {
        s.db.exec("INSERT INTO t VALUES (1)");
        throw new Error("half way");
      }),
    ).toThrow("half way");
    expect(values()).toEqual([]);
    expect(s.db.isTransaction).toBe(false);
  });

  it("nests with a savepoint: a caught inner failure undoes only the inner work", () => {
    const { s, values } = db();
    transaction(s.db, () => {
      s.db.exec("INSERT INTO t VALUES (1)");
      try {
        transaction(s.db, () => {
          s.db.exec("INSERT INTO t VALUES (2)");
          throw new Error("inner");
        });
      } catch {
        // the caller decides to carry on
      }
      transaction(s.db, () => s.db.exec("INSERT INTO t VALUES (3)"));
    });
    expect(values()).toEqual([1, 3]);
  });

  it("refuses an async callback and keeps nothing it wrote", () => {
    const { s, values } = db();
    const err = (() => {
      try {
        transaction(s.db, async () => {
          s.db.exec("INSERT INTO t VALUES (1)");
        });
      } catch (e) {
        return e as SwitchboardError;
      }
    })();
    expect(err?.message).toMatch(/async function/);
    expect(values()).toEqual([]);
  });
});
