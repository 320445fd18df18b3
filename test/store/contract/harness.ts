// The store contract runs every behavioural test twice: against SQLite (a
// temp file, through the async adapter) and against PostgreSQL (a private
// database on the run's server). Each test starts from an empty store; a
// second, independent connection to the same data is one call away.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe } from "vitest";
import type { StoreBackend, StoreKind } from "../../../src/store/backend.ts";
import { PG_TABLES } from "../../../src/store/pg/schema.ts";
import { openPgStore } from "../../../src/store/pg/index.ts";
import { openSqliteBackend } from "../../../src/store/sqlite-backend.ts";
import { createTestDatabase, type TestDatabase } from "../../support/postgres.ts";

export interface Harness {
  readonly kind: StoreKind;
  /** the test's store, empty at the start of each test */
  readonly store: StoreBackend;
  /** another connection (another process, another gateway) to the same data; closed after the test */
  another(): Promise<StoreBackend>;
}

export const KINDS: readonly StoreKind[] = ["sqlite", "postgres"];

function harness(kind: StoreKind): Harness {
  let pgdb: TestDatabase | undefined;
  let dir = "";
  let current: StoreBackend | undefined;
  const extra: StoreBackend[] = [];
  const open = async (): Promise<StoreBackend> => (kind === "sqlite" ? openSqliteBackend(join(dir, "state", "switchboard.db")) : openPgStore(pgdb!.url, { max: 4 }));

  beforeAll(async () => {
    if (kind === "postgres") pgdb = await createTestDatabase("contract");
  });
  afterAll(async () => {
    await pgdb?.drop();
  });
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "sb-contract-"));
    current = await open();
    if (current.kind === "postgres") {
      // every table empty and every id sequence back at 1: tests see a fresh store
      const { pool } = current as StoreBackend & { pool: import("pg").Pool };
      await pool.query(`TRUNCATE ${PG_TABLES.join(", ")} RESTART IDENTITY CASCADE`);
    }
  });
  afterEach(async () => {
    for (const s of extra.splice(0)) await s.close();
    await current?.close();
    current = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  return {
    kind,
    get store() {
      if (!current) throw new Error("the store is open only inside a test");
      return current;
    },
    async another() {
      const s = await open();
      extra.push(s);
      return s;
    },
  };
}

/** Declares `body`'s tests once per backend. */
export function contract(name: string, body: (h: Harness) => void): void {
  for (const kind of KINDS) {
    describe(`${name} [${kind}]`, () => body(harness(kind)));
  }
}
