// PostgreSQL-only behaviour: migrations, refusing a newer schema, a server
// that goes away (a storage fault, not a crash), and the URL's password
// never reaching an error.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storeFault } from "../../src/store/health.ts";
import { openPgStore } from "../../src/store/pg/index.ts";
import { PG_SCHEMA_VERSION } from "../../src/store/pg/migrate.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase("pgbackend");
});
afterAll(async () => {
  await db.drop();
});

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

describe("PostgreSQL store", () => {
  it("migrates once when several gateways open an empty database at the same moment", async () => {
    const stores = await Promise.all([openPgStore(db.url), openPgStore(db.url), openPgStore(db.url)]);
    try {
      const v = await admin((c) => c.query("SELECT version FROM schema_version"));
      expect(v.rows).toEqual([{ version: PG_SCHEMA_VERSION }]);
      await stores[0]!.kv.set("k", 1);
      expect(await stores[2]!.kv.get("k")).toBe(1);
    } finally {
      for (const s of stores) await s.close();
    }
  });

  it("refuses a database written by a newer Switchboard, saying so, and leaves it alone", async () => {
    await admin((c) => c.query("UPDATE schema_version SET version = $1", [PG_SCHEMA_VERSION + 3]));
    try {
      await expect(openPgStore(db.url)).rejects.toThrow(new RegExp(`written by a newer Switchboard \\(schema version ${PG_SCHEMA_VERSION + 3}; this version knows up to ${PG_SCHEMA_VERSION}\\)`));
      const v = await admin((c) => c.query("SELECT version FROM schema_version"));
      expect(v.rows[0].version).toBe(PG_SCHEMA_VERSION + 3);
    } finally {
      await admin((c) => c.query("UPDATE schema_version SET version = $1", [PG_SCHEMA_VERSION]));
    }
  });

  it("a connection the server ends is an 'unreachable' fault; the process lives and the store recovers", async () => {
    const store = await openPgStore(db.url, { max: 2, probeEveryMs: 20 });
    try {
      await store.kv.set("before", 1);
      const recovered = new Promise<void>((resolve) => store.health.onRecovered(resolve));
      // the server ends the store's connections (what a restart of PostgreSQL does to them)
      // while one of them is inside a transaction, so the next statement meets the loss
      const terminate = () => admin((c) => c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'switchboard'"));
      const failure = await store
        .transaction(async (tx) => {
          await tx.kv.get("before");
          await terminate();
          await tx.kv.set("during", 1);
        })
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(failure).toBeDefined();
      expect(storeFault(failure)).toBe("unreachable");
      expect(store.health.failed(failure)).toBe(true);
      expect(store.health.snapshot()).toMatchObject({ state: "unreachable", detail: expect.stringMatching(/cannot be reached/) });
      await recovered; // the probe's write worked on a fresh connection
      expect(store.health.state).toBe("ok");
      expect(await store.kv.get("before")).toBe(1);
    } finally {
      await store.close();
    }
  });

  it("a server that is not there is a clear store error naming the place, never the password", async () => {
    const probe = new URL(db.url);
    // a port nothing listens on: bind one, note it, close it
    const { createServer } = await import("node:net");
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    probe.host = `127.0.0.1:${port}`;
    probe.username = "someone";
    probe.password = "hunter2-very-secret";
    const err = await openPgStore(probe.toString(), { connectTimeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const text = `${(err as Error).message} ${JSON.stringify(err)}`;
    expect(text).toMatch(/cannot use the database postgres:\/\/someone:\[redacted\]@127\.0\.0\.1/);
    expect(text).toMatch(/Check that PostgreSQL is running/);
    expect(text).not.toContain("hunter2-very-secret");
  });

  it("a wrong password is refused without echoing it", async () => {
    const wrong = new URL(db.url);
    wrong.username = "nobody_here";
    wrong.password = "wrong-password-123";
    const err = (await openPgStore(wrong.toString()).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/cannot use the database/);
    expect(err.message).not.toContain("wrong-password-123");
  });

  it("maps the server's and the socket's codes to the closed fault codes, and nothing else", () => {
    const cases: [unknown, string | undefined][] = [
      [{ code: "53100" }, "full"],
      [{ code: "25006" }, "read_only"],
      [{ code: "40P01" }, "busy"],
      [{ code: "57P01" }, "unreachable"],
      [{ code: "08006" }, "unreachable"],
      [{ code: "ECONNREFUSED" }, "unreachable"],
      [new Error("wrapped", { cause: { code: "ECONNRESET" } }), "unreachable"],
      [{ code: "23505" }, undefined], // a unique violation is a bug or a duplicate, not a fault
      [{ code: "42P01" }, undefined],
      [new Error("no code"), undefined],
    ];
    for (const [err, fault] of cases) expect([err, storeFault(err)]).toEqual([err, fault]);
  });

  it("refuses a URL that is not PostgreSQL's", async () => {
    await expect(openPgStore("mysql://u:pw123456@h/db")).rejects.toThrow(/not a PostgreSQL URL: mysql:\/\/u:\[redacted\]@h\/db/);
  });
});

describe("openBackend", () => {
  it("opens the backend a location names, through the one interface", async () => {
    const { openBackend } = await import("../../src/store/open.ts");
    const { storeLocation } = await import("../../src/store/location.ts");
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const home = mkdtempSync(join(tmpdir(), "sb-open-"));
    try {
      const pgStore = await openBackend(storeLocation(db.url, {}, home, join(home, "switchboard.db")));
      const lite = await openBackend(storeLocation(undefined, {}, home, join(home, "switchboard.db")));
      const viaEnv = storeLocation("sqlite:other.db", { SWITCHBOARD_DATABASE_URL: db.url }, home, join(home, "switchboard.db"));
      try {
        expect([pgStore.kind, lite.kind, viaEnv.kind, viaEnv.from]).toEqual(["postgres", "sqlite", "postgres", "SWITCHBOARD_DATABASE_URL"]);
        expect(storeLocation("sqlite:other.db", {}, home, "x")).toEqual({ kind: "sqlite", file: join(home, "other.db"), from: "store.url" });
        expect(() => storeLocation(undefined, { SWITCHBOARD_DATABASE_URL: "redis://h" }, home, "x")).toThrow(/SWITCHBOARD_DATABASE_URL: "redis:\/\/h" is neither a sqlite: path nor a postgres:\/\/ URL/);
        expect(() => storeLocation("postgres://u:pw@h:notaport/db", {}, home, "x")).toThrow(/store\.url: .*is not a valid URL/);
        expect(() => storeLocation("sqlite:", {}, home, "x")).toThrow(/store\.url: sqlite: needs a file path/);
        await pgStore.kv.set("where", "pg");
        await lite.kv.set("where", "sqlite");
        expect([await pgStore.kv.get("where"), await lite.kv.get("where")]).toEqual(["pg", "sqlite"]);
      } finally {
        await pgStore.close();
        await lite.close();
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
