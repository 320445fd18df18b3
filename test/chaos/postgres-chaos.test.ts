// The crash suite on PostgreSQL: the real daemon with store.url on a real
// server, killed with SIGKILL at random moments while people write, must
// answer every message exactly once, as on SQLite (chaos.test.ts). Telegram
// keeps its place in Telegram's queue; Discord's catch-up cursors and QQ's
// resumable session live in the database's channel_cursors table.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { formatFigures, runChaos, type ChaosChannel } from "./harness.ts";

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase("chaos");
});
afterEach(async () => {
  await db.drop();
});

describe("kill -9 at random moments, on PostgreSQL", () => {
  for (const channel of ["telegram", "discord", "qq"] as ChaosChannel[]) {
    it(`${channel}: every message answered once`, async () => {
      const trace: string[] = [];
      const f = await runChaos({ channel, kills: 2, perRound: 2, maxKillDelayMs: 600, maxModelDelayMs: 300, storeUrl: db.url, trace: (l) => trace.push(l) });
      console.log(`${formatFigures(f)} (PostgreSQL)`);
      const why = f.lostIds.length || f.twiceIds.length ? `\n${trace.join("\n")}` : "";
      expect(f.lostIds, `lost${why}`).toEqual([]);
      expect(f.twiceIds, `answered twice${why}`).toEqual([]);
      expect(f.once).toBe(f.messages);
    }, 240_000);
  }
});
