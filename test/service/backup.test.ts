// Backups a self-hoster can trust: taken while the database is being written,
// restored with history intact, readable by tar; a copy before every schema
// migration, and a refusal that names it when an older binary meets a newer
// database.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrationBackups } from "../../src/store/backup.ts";
import { openDatabase, SCHEMA_VERSION } from "../../src/store/db.ts";
import { openStore } from "../../src/store/index.ts";
import { MIGRATIONS } from "../../src/store/schema.ts";
import { runCli } from "../cli/run-cli.ts";

let home: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "sb-backup-"));
  env = { SWITCHBOARD_HOME: home, HOME: home };
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

function seed(turns: number): void {
  writeFileSync(join(home, "config.json"), JSON.stringify({ agents: { defaults: { model_name: "m" } }, model_list: [{ model_name: "m", model: "openai/x", api_base: "http://127.0.0.1:9/v1", api_key: "sk-seed-123456789" }] }));
  mkdirSync(join(home, "workspace"), { recursive: true });
  writeFileSync(join(home, "workspace", "SOUL.md"), "I am the seeded soul.\n");
  const store = openStore(join(home, "switchboard.db"));
  for (let i = 0; i < turns; i++) store.sessions.append("telegram:1001", [{ role: "user", content: `question ${i}` }, { role: "assistant", content: `answer ${i}` }], Date.now());
  store.close();
}

function history(): string[] {
  const store = openStore(join(home, "switchboard.db"));
  const h = store.sessions.history("telegram:1001").map((m) => String(m.message.content));
  store.close();
  return h;
}

describe("switchboard backup and restore", () => {
  it("round-trips history, config and workspace, and keeps what it replaced", async () => {
    seed(3);
    const file = join(home, "..", `${home.split("/").pop()}-b.tar.gz`);
    const b = await runCli(["backup", file], env);
    expect(b.stderr).toBe("");
    expect(b.code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // a plain tar can read it
    const listing = execFileSync("tar", ["-tzf", file], { encoding: "utf8" }).split("\n");
    expect(listing).toEqual(expect.arrayContaining(["switchboard-backup.json", "switchboard.db", "config.json", "workspace/SOUL.md"]));

    // things change after the backup …
    const store = openStore(join(home, "switchboard.db"));
    store.sessions.append("telegram:1001", [{ role: "user", content: "after the backup" }], Date.now());
    store.close();
    writeFileSync(join(home, "workspace", "SOUL.md"), "changed\n");
    writeFileSync(join(home, "config.json"), "{}");

    const r = await runCli(["restore", file], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/restored \d+ files .*; 1 conversations/);
    expect(history()).toEqual(["question 0", "answer 0", "question 1", "answer 1", "question 2", "answer 2"]);
    expect(readFileSync(join(home, "workspace", "SOUL.md"), "utf8")).toBe("I am the seeded soul.\n");
    expect(JSON.parse(readFileSync(join(home, "config.json"), "utf8")).model_list[0].api_key).toBe("sk-seed-123456789");
    // … and what the restore replaced is kept too
    const saved = /what was there before is in (\S+)/.exec(r.stdout)![1]!;
    expect(execFileSync("tar", ["-tzf", saved], { encoding: "utf8" })).toContain("switchboard.db");
    rmSync(file);
  });

  it("takes a consistent copy while another process keeps writing", async () => {
    seed(1);
    // a second connection holds an open write transaction with uncommitted rows
    const other = new DatabaseSync(join(home, "switchboard.db"));
    other.exec("BEGIN IMMEDIATE");
    other.prepare("INSERT INTO kv (key, value, updated_at) VALUES ('uncommitted', '1', 0)").run();
    const file = join(home, "backups", "live.tar.gz");
    const b = await runCli(["backup", file], env);
    other.exec("ROLLBACK");
    other.close();
    expect(b.code).toBe(0);
    const out = mkdtempSync(join(tmpdir(), "sb-untar-"));
    execFileSync("tar", ["-xzf", file, "-C", out]);
    const copy = new DatabaseSync(join(out, "switchboard.db"), { readOnly: true });
    expect((copy.prepare("PRAGMA integrity_check").get() as { integrity_check: string }).integrity_check).toBe("ok");
    expect(copy.prepare("SELECT count(*) AS n FROM kv WHERE key = 'uncommitted'").get()).toEqual({ n: 0 });
    expect(copy.prepare("SELECT count(*) AS n FROM messages").get()).toEqual({ n: 2 });
    copy.close();
    rmSync(out, { recursive: true });
  });

  it("refuses to restore while the gateway runs, and refuses what is not a backup", async () => {
    seed(1);
    mkdirSync(join(home, "state"), { recursive: true });
    writeFileSync(join(home, "state", "gateway.json"), JSON.stringify({ pid: process.pid, url: "http://127.0.0.1:9" }));
    const file = join(home, "backups", "x.tar.gz");
    expect((await runCli(["backup", file], env)).code).toBe(0);
    const running = await runCli(["restore", file], env);
    expect(running.code).toBe(1);
    expect(running.stderr).toContain(`the gateway is running (pid ${process.pid}); stop it first`);
    rmSync(join(home, "state", "gateway.json"));
    writeFileSync(join(home, "junk.bin"), "hello");
    const junk = await runCli(["restore", join(home, "junk.bin")], env);
    expect(junk.code).toBe(1);
    expect(junk.stderr).toContain("is not a Switchboard backup");
  });
});

describe("schema migrations", () => {
  it("copy the database before migrating it, and the copy opens at the old version", () => {
    const file = join(home, "switchboard.db");
    const old = new DatabaseSync(file);
    old.exec(MIGRATIONS[0]!);
    old.exec("PRAGMA user_version = 1");
    old.exec("INSERT INTO sessions (key, created_at, updated_at) VALUES ('old-session', 1, 1)");
    old.close();
    openDatabase(file).close();
    const backups = migrationBackups(file);
    expect(backups).toHaveLength(1);
    expect(backups[0]).toMatch(new RegExp(`switchboard-schema1-before-schema${SCHEMA_VERSION}-.*\\.db$`));
    const copy = new DatabaseSync(backups[0]!, { readOnly: true });
    expect(copy.prepare("PRAGMA user_version").get()).toEqual({ user_version: 1 });
    expect(copy.prepare("SELECT key FROM sessions").all()).toEqual([{ key: "old-session" }]);
    copy.close();
    // an up-to-date database is not copied again
    openDatabase(file).close();
    expect(migrationBackups(file)).toHaveLength(1);
  });

  it("a newer database met by this (older) binary is refused with the backup to go back to", async () => {
    const file = join(home, "switchboard.db");
    const old = new DatabaseSync(file);
    old.exec(MIGRATIONS[0]!);
    old.exec("PRAGMA user_version = 1");
    old.close();
    openDatabase(file).close(); // "upgrade" to this version, taking a backup
    const backup = migrationBackups(file)[0]!;
    // a future version migrates further
    const future = new DatabaseSync(file);
    future.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    future.close();
    expect(() => openDatabase(file)).toThrow(`switchboard restore ${backup}`);
    // and the restore command takes the .db copy as it is
    const r = await runCli(["restore", backup], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const db = openDatabase(file);
    expect((db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version).toBe(SCHEMA_VERSION);
    db.close();
    expect(existsSync(join(home, "backups"))).toBe(true);
    expect(readdirSync(join(home, "backups")).some((f) => f.startsWith("before-restore-"))).toBe(true);
  });
});
