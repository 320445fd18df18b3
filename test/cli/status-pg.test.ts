// `switchboard status` on a PostgreSQL store: queues and dead letters from
// the database, the fleet (members, channel owners, lease ages) without being
// asked, and the cooldowns the fleet shares, seen from a machine where no
// gateway runs.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.ts";
import { buildModelDirectory } from "../../src/config/models.ts";
import { startFleet, type Fleet } from "../../src/fleet/index.ts";
import { targetKey } from "../../src/providers/router/health.ts";
import { openPgStore } from "../../src/store/pg/index.ts";
import { writeConfig } from "../e2e/daemon.ts";
import { endAndDrop } from "../fleet/teardown.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { runCli } from "./run-cli.ts";

let home: string;
const dbs: TestDatabase[] = [];
let fleet: Fleet | undefined;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "sb-status-pg-"));
});
afterEach(async () => {
  await fleet?.stop();
  fleet = undefined;
  rmSync(home, { recursive: true, force: true });
});
afterAll(async () => {
  for (const d of dbs) await endAndDrop(d, []);
});

const env = () => ({ SWITCHBOARD_HOME: home, HOME: home, SWITCHBOARD_LOG_LEVEL: "error" });
const config = (url: string) => ({
  model_list: [{ model_name: "main", model: "openai/m", api_base: "http://127.0.0.1:9/v1", api_key: "sk-status-pg-key-123456" }],
  agents: { defaults: { model_name: "main" } },
  store: { url },
});

async function database(label: string): Promise<TestDatabase> {
  const db = await createTestDatabase(label);
  dbs.push(db);
  return db;
}

async function waitFor(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("status on a PostgreSQL store", () => {
  it("shows queues and dead letters from the database, and that no fleet has formed yet (not an error)", async () => {
    const db = await database("status_pg");
    const s = await openPgStore(db.url);
    try {
      await s.delivery.acceptInbound({ channel: "telegram", chatId: "5", messageId: "m1", sessionKey: "tg:5", senderId: "u", payload: {}, receivedAt: Date.now() });
      const [chunk] = await s.delivery.enqueueReply({ channel: "telegram", chatId: "5", replyId: "r1", chunks: ["x"], answers: [], now: Date.now() });
      await s.delivery.markFailed(chunk!.id, "403 blocked by the user", 0, true);
    } finally {
      await s.close();
    }
    writeConfig(home, config(db.url));
    const json = await runCli(["status", "--json"], env());
    expect(json.stderr).toBe("");
    expect(json.code).toBe(0);
    const r = JSON.parse(json.stdout) as { store: { kind: string; location: string }; queues: unknown; dead: { chatId: string; error: string }[]; fleet: { error: string } };
    expect(r.store.kind).toBe("postgres");
    expect(r.queues).toEqual({ inboundPending: 1, outboundPending: 0, dead: 1 });
    expect(r.dead).toMatchObject([{ chatId: "5", error: "403 blocked by the user" }]);
    expect(r.fleet.error).toMatch(/no gateway has joined a fleet on this database yet/);

    const text = await runCli(["status"], env());
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^store: PostgreSQL postgres:\/\/\S+$/m);
    expect(text.stdout).toMatch(/^queues: 1 inbound pending, 0 outbound pending, 1 dead$/m);
    expect(text.stdout).toMatch(/^fleet: no gateway has joined a fleet on this database yet/m);
  });

  it("shows the fleet's members and channel owners without --fleet, and with it", async () => {
    const db = await database("status_fleet");
    const acquired: string[] = [];
    fleet = await startFleet({ url: db.url, memberId: "gw-a", channels: ["telegram:default"], onAcquire: (a) => void acquired.push(a), onLose: () => {} });
    await waitFor("the lease", () => acquired.length > 0);
    writeConfig(home, config(db.url));
    const text = await runCli(["status"], env());
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^fleet: 1 of 1 member\(s\) alive$/m);
    expect(text.stdout).toMatch(/^ {2}member gw-a alive, heartbeat [\d.]+s ago$/m);
    expect(text.stdout).toMatch(/^ {2}channel telegram:default: gw-a \(epoch 1, held [\d.]+s, renewed [\d.]+s ago\)$/m);
    const flagged = await runCli(["status", "--fleet", "--json"], env());
    expect(flagged.code).toBe(0);
    const r = JSON.parse(flagged.stdout) as { fleet: { members: { id: string; alive: boolean }[]; channels: { account: string; owner: string }[] } };
    expect(r.fleet.members.map((m) => [m.id, m.alive])).toEqual([["gw-a", true]]);
    expect(r.fleet.channels).toMatchObject([{ account: "telegram:default", owner: "gw-a" }]);
  }, 30_000);

  it("shows the cooldown a gateway of the fleet put a key in, from the shared router state", async () => {
    const db = await database("status_router");
    fleet = await startFleet({ url: db.url, memberId: "gw-b", channels: [], onAcquire: () => {}, onLose: () => {} });
    writeConfig(home, config(db.url));
    const entry = buildModelDirectory(loadConfig({ path: join(home, "config.json"), env: env() }).config, env()).all()[0]!;
    const until = Date.now() + 600_000;
    const state = { entryId: entry.id, keyIndex: 0, modelName: "main", errorCount: 1, billingCount: 0, cooldownUntil: until, lastFailureAt: Date.now(), lastError: { reason: "rate_limit", status: 429, message: "slow down", at: Date.now() }, lastSuccessAt: null };
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      await pool.query("INSERT INTO router_targets (key, state, writer) VALUES ($1, $2, 'gw-b')", [targetKey(entry, entry.apiKeys[0]), JSON.stringify(state)]);
    } finally {
      await pool.end();
    }
    const text = await runCli(["status"], env());
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`key 1: sk-…3456  cooling until ${new Date(until).toISOString().slice(0, 16)}`));
    expect(text.stdout).toMatch(/last error rate_limit \(429\) at .*: slow down/);
  }, 30_000);
});
