// A member leaving the fleet (clean stop) while its heartbeat is still on the
// wire: the heartbeat goes out on another pool connection and could land after
// the DELETE, bringing the member back as alive (seen once in daemon-fleet's
// "a stopped owner hands over" under load). leave() lets it land first.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FleetMember } from "../../src/fleet/members.ts";
import { migrateFleet } from "../../src/fleet/schema.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { endAndDrop } from "./teardown.ts";

let db: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase("fleet_members");
  pool = new pg.Pool({ connectionString: db.url, max: 3 });
  await migrateFleet(pool);
});
afterAll(async () => {
  await endAndDrop(db, [pool]);
});

describe("leaving the fleet", () => {
  it("a heartbeat in flight when the member leaves does not bring it back", async () => {
    let hold: (() => void) | undefined;
    let heldOnce = false;
    // the pool as the member sees it: its second heartbeat waits at the door until released
    let inserts = 0;
    const slowPool = {
      query: async (text: string, values?: unknown[]) => {
        if (text.includes("INSERT INTO fleet_members") && ++inserts === 2 && !heldOnce) {
          heldOnce = true;
          await new Promise<void>((r) => (hold = r));
        }
        return pool.query(text, values);
      },
    } as unknown as pg.Pool;
    const member = new FleetMember(slowPool, { heartbeatMs: 20 });
    await member.join();
    await expect.poll(() => hold !== undefined, { timeout: 5000 }).toBe(true);
    const leaving = member.leave();
    // the DELETE may go first; the held heartbeat lands after it
    await new Promise((r) => setTimeout(r, 50));
    hold!();
    await leaving;
    const { rows } = await pool.query("SELECT id FROM fleet_members WHERE id = $1", [member.id]);
    expect(rows).toEqual([]);
  });
});
