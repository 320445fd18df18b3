import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";

describe("the tests' PostgreSQL server", () => {
  const dbs: TestDatabase[] = [];
  afterAll(async () => {
    for (const db of dbs) await db.drop();
  });

  it("gives each caller its own empty database", async () => {
    const a = await createTestDatabase("harness");
    const b = await createTestDatabase("harness");
    dbs.push(a, b);
    expect(a.url).not.toBe(b.url);
    const ca = new pg.Client({ connectionString: a.url });
    const cb = new pg.Client({ connectionString: b.url });
    await Promise.all([ca.connect(), cb.connect()]);
    try {
      await ca.query("CREATE TABLE only_in_a (x int)");
      const seen = await cb.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'only_in_a'");
      expect(seen.rows[0].n).toBe(0);
      const version = await ca.query("SHOW server_version_num");
      expect(Number(version.rows[0].server_version_num)).toBeGreaterThanOrEqual(130000);
    } finally {
      await Promise.all([ca.end(), cb.end()]);
    }
  });
});
