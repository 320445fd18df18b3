// When the store the settings name cannot be used, every command says so in
// one line: which setting (store.url or SWITCHBOARD_DATABASE_URL), what went
// wrong, the fix, never the password; `doctor` checks the server, the schema
// and the fleet tables one by one; backup and restore point at pg_dump.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { writeConfig } from "../e2e/daemon.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { startRefusingServer } from "./pg-refusing-server.ts";
import { runCli } from "./run-cli.ts";

const PASSWORD = "pw-never-printed-4711";
let home: string;
let closedPort: number;
const dbs: TestDatabase[] = [];

/** A loopback port nothing listens on: bound by the system, then released. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  closedPort = await freePort();
});
afterAll(async () => {
  for (const d of dbs) await d.drop();
});
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "sb-store-err-"));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const env = (extra: NodeJS.ProcessEnv = {}) => ({ SWITCHBOARD_HOME: home, HOME: home, SWITCHBOARD_LOG_LEVEL: "error", ...extra });
const downUrl = () => `postgres://sb:${PASSWORD}@127.0.0.1:${closedPort}/sb`;
/** a model whose probe fails at once (nothing on port 9), so doctor spends no time on it */
const model = { model_list: [{ model_name: "main", model: "openai/m", api_base: "http://127.0.0.1:9/v1", api_key: "sk-doctor-test-123456" }], agents: { defaults: { model_name: "main" } } };

/** A URL of a real server's database with a password in it (trust authentication ignores it). */
function withPassword(url: string): string {
  const u = new URL(url);
  u.username ||= "postgres";
  u.password = PASSWORD;
  return u.toString();
}

describe("a store that cannot be used", () => {
  it("an unreachable server: one line naming store.url and the fix, exit 1, for every command that needs the store", async () => {
    writeConfig(home, { store: { url: downUrl() } });
    for (const args of [["pairing", "list"], ["cron", "list"], ["store", "vacuum"], ["pairing", "approve", "telegram", "ABCD1234"]]) {
      const run = await runCli(args, env());
      expect(run.code, args.join(" ")).toBe(1);
      const lines = run.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toBe(
        `switchboard: store.url: cannot use the PostgreSQL store postgres://sb:[redacted]@127.0.0.1:${closedPort}/sb: nothing accepts connections at 127.0.0.1:${closedPort} (fix: start PostgreSQL there, or correct the host and port in store.url)`,
      );
    }
  });

  it("store copy to an unreachable server says nothing was written, naming the reason and the fix once", async () => {
    const { openStore } = await import("../../src/store/index.ts");
    openStore(join(home, "switchboard.db")).close();
    const run = await runCli(["store", "copy", "--to", downUrl()], env());
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `switchboard: copy to postgres://sb:[redacted]@127.0.0.1:${closedPort}/sb failed, nothing was written: nothing accepts connections at 127.0.0.1:${closedPort} (fix: start PostgreSQL there, or correct the host and port in --to)\n`,
    );
  });

  it("a password the server refuses is a setting to fix: exit 78, the user named, the password never", async () => {
    const server = await startRefusingServer();
    try {
      writeConfig(home, { store: { url: `postgres://sb:${PASSWORD}@127.0.0.1:${server.port}/sb` } });
      const run = await runCli(["pairing", "list"], env());
      expect(server.passwords).toContain(PASSWORD); // the command did send the configured password
      expect(run.code).toBe(78);
      expect(run.stderr).toBe(
        `switchboard: store.url: cannot use the PostgreSQL store postgres://sb:[redacted]@127.0.0.1:${server.port}/sb: the server refused the password for user "sb" (fix: correct the password in store.url (percent-encode @, : and / in it))\n`,
      );
      const doctor = await runCli(["doctor", "--json"], env(), undefined, 60_000);
      const check = (JSON.parse(doctor.stdout) as { checks: { id: string; level: string; what: string }[] }).checks.find((c) => c.id === "store:server");
      expect(check).toMatchObject({ level: "fail", what: expect.stringMatching(/the server refused the password for user "sb"$/) });
      expect(doctor.stdout + doctor.stderr).not.toContain(PASSWORD);
    } finally {
      await server.close();
    }
  }, 90_000);

  it("names SWITCHBOARD_DATABASE_URL when that is where the URL came from; a database that does not exist is a setting to fix (exit 78)", async () => {
    const server = new URL(withPassword((await createTestDatabase("err_probe").then((d) => (dbs.push(d), d))).url));
    server.pathname = "/sb_no_such_database";
    const run = await runCli(["cron", "list"], env({ SWITCHBOARD_DATABASE_URL: server.toString() }));
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/^switchboard: SWITCHBOARD_DATABASE_URL: cannot use the PostgreSQL store postgres:\/\/.*\[redacted\]@.*: the database "sb_no_such_database" does not exist \(fix: create it \(createdb .* sb_no_such_database\), or correct the database name in SWITCHBOARD_DATABASE_URL\)\n$/);
    expect(run.stderr).not.toContain(PASSWORD);
  });

  it("a URL that is not a store URL is a configuration error naming the variable", async () => {
    const run = await runCli(["pairing", "list"], env({ SWITCHBOARD_DATABASE_URL: `mysql://u:${PASSWORD}@127.0.0.1/db` }));
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/^switchboard: SWITCHBOARD_DATABASE_URL: "mysql:\/\/u:\[redacted\]@127\.0\.0\.1\/db" is neither a sqlite: path nor a postgres:\/\/ URL \(fix: use .*\)\n$/);
    expect(run.stderr).not.toContain(PASSWORD);
    writeConfig(home, model);
    const doctor = await runCli(["doctor", "--json"], env({ SWITCHBOARD_DATABASE_URL: `mysql://u:${PASSWORD}@127.0.0.1/db` }), undefined, 60_000);
    expect(doctor.code).toBe(1);
    const check = (JSON.parse(doctor.stdout) as { checks: { id: string; level: string; what: string; fix: string }[] }).checks.find((c) => c.id === "store");
    expect(check).toMatchObject({ level: "fail", what: expect.stringMatching(/^SWITCHBOARD_DATABASE_URL: .*is neither a sqlite: path nor a postgres:\/\/ URL/), fix: expect.stringMatching(/postgres:\/\/user:.*@host:5432\/database/) });
    expect(doctor.stdout).not.toContain(PASSWORD);
  }, 90_000);

  it("status still shows the rest, with the store's problem and fix, and exits 1", async () => {
    writeConfig(home, { ...model, store: { url: downUrl() } });
    const run = await runCli(["status"], env());
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^gateway: the gateway is not running/m);
    expect(run.stdout).toMatch(/^main#0 +openai\/m$/m);
    expect(run.stdout).toMatch(new RegExp(`^store: cannot use the PostgreSQL store .*nothing accepts connections at 127\\.0\\.0\\.1:${closedPort}\\n {2}fix: start PostgreSQL there`, "m"));
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });
});

describe("doctor on PostgreSQL", () => {
  it("reports an unreachable server as a failed check with its fix", async () => {
    writeConfig(home, { ...model, store: { url: downUrl() } });
    const run = await runCli(["doctor", "--json"], env(), undefined, 60_000);
    expect(run.code).toBe(1);
    const { checks } = JSON.parse(run.stdout) as { checks: { id: string; level: string; what: string; fix?: string }[] };
    expect(checks.find((c) => c.id === "store:server")).toEqual({
      id: "store:server",
      level: "fail",
      what: `cannot use the PostgreSQL store postgres://sb:[redacted]@127.0.0.1:${closedPort}/sb: nothing accepts connections at 127.0.0.1:${closedPort}`,
      fix: "start PostgreSQL there, or correct the host and port in store.url",
    });
    expect(checks.some((c) => c.id === "store:schema" || c.id === "store:fleet")).toBe(false);
    const text = await runCli(["doctor"], env(), undefined, 60_000);
    expect(text.stdout).toMatch(/^FAIL cannot use the PostgreSQL store .*nothing accepts connections.*\n {5}fix: start PostgreSQL there/m);
    expect(text.stdout + text.stderr).not.toContain(PASSWORD);
  }, 90_000);

  it("a new database: schema and fleet tables are warnings until --fix creates them; then all is current", async () => {
    const db = await createTestDatabase("doctor_pg");
    dbs.push(db);
    writeConfig(home, { ...model, store: { url: withPassword(db.url) } });
    type Checks = { checks: { id: string; level: string; what: string; fix?: string; fixed?: string }[] };
    const store = (r: { stdout: string }) => (JSON.parse(r.stdout) as Checks).checks.filter((c) => c.id.startsWith("store"));

    const before = store(await runCli(["doctor", "--json"], env(), undefined, 60_000));
    expect(before.map((c) => [c.id, c.level])).toEqual([["store:server", "ok"], ["store:schema", "warn"], ["store:fleet", "warn"]]);
    expect(before[1]!.what).toMatch(/holds no Switchboard schema yet/);
    expect(before[1]!.fix).toMatch(/first gateway start creates it .*switchboard doctor --fix/);
    expect(before[2]!.what).toMatch(/no fleet tables yet/);

    const fixed = store(await runCli(["doctor", "--json", "--fix"], env(), undefined, 60_000));
    expect(fixed.map((c) => [c.id, c.level])).toEqual([["store:server", "ok"], ["store:schema", "ok"], ["store", "ok"], ["store:fleet", "ok"]]);
    expect(fixed.find((c) => c.id === "store:fleet")?.fixed).toMatch(/created the fleet tables/);

    const after = store(await runCli(["doctor", "--json"], env(), undefined, 60_000));
    expect(after.map((c) => [c.id, c.level])).toEqual([["store:server", "ok"], ["store:schema", "ok"], ["store", "ok"], ["store:fleet", "ok"]]);
    expect(after.find((c) => c.id === "store")?.what).toMatch(/0 inbound pending, 0 outbound pending, 0 dead/);
    expect(after.find((c) => c.id === "store:fleet")?.what).toMatch(/fleet tables present \(version \d+\): 0 of 0 member\(s\) alive/);
  }, 120_000);
});

describe("backup and restore on PostgreSQL", () => {
  it("refuse with exit 2, pointing at pg_dump and pg_restore, without the password", async () => {
    writeConfig(home, { store: { url: downUrl() } });
    const backup = await runCli(["backup"], env());
    expect(backup.code).toBe(2);
    expect(backup.stderr).toMatch(/backup copies the SQLite database, but store\.url puts the store in PostgreSQL \(postgres:\/\/sb:\[redacted\]@.*\): back it up with pg_dump .*pg_dump takes one consistent snapshot/);
    const restore = await runCli(["restore", join(home, "config.json")], env());
    expect(restore.code).toBe(2);
    expect(restore.stderr).toMatch(/restore a pg_dump file with pg_restore/);
    expect(backup.stderr + restore.stderr).not.toContain(PASSWORD);
  });
});
