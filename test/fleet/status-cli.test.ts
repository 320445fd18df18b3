// `switchboard status --fleet`: the real command shows members, channel
// owners and lease ages from the fleet's database, and says clearly when it
// cannot.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFleet, type Fleet } from "../../src/fleet/index.ts";
import { runCli } from "../cli/run-cli.ts";
import { writeConfig } from "../e2e/daemon.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { endAndDrop } from "./teardown.ts";

let db: TestDatabase;
let home: string;
let fleet: Fleet;
const acquired: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase("fleet_status");
  home = mkdtempSync(join(tmpdir(), "sb-fleet-status-"));
  writeConfig(home, { model_list: [{ model_name: "main", model: "openai/m", api_base: "http://127.0.0.1:9/v1", api_key: "sk-fleet-status-secret-1234" }], agents: { defaults: { model_name: "main" } } });
  fleet = await startFleet({ url: db.url, memberId: "gw-one", channels: ["telegram:default"], onAcquire: (a) => void acquired.push(a), onLose: () => {} });
  const until = Date.now() + 10_000;
  while (acquired.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
});
afterAll(async () => {
  await fleet.stop();
  await endAndDrop(db, []);
  rmSync(home, { recursive: true, force: true });
});

const env = () => ({ HOME: home, SWITCHBOARD_HOME: home });

describe("status --fleet", () => {
  it("lists the members and who owns which channel account, in JSON and in text", async () => {
    expect(acquired).toEqual(["telegram:default"]);
    const json = await runCli(["status", "--json", "--fleet", db.url], env());
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { fleet: { members: { id: string; alive: boolean }[]; channels: { account: string; owner: string; epoch: number }[] } };
    expect(report.fleet.members.map((m) => [m.id, m.alive])).toEqual([["gw-one", true]]);
    expect(report.fleet.channels).toMatchObject([{ account: "telegram:default", owner: "gw-one", epoch: 1 }]);

    const text = await runCli(["status", "--fleet"], { ...env(), SWITCHBOARD_DATABASE_URL: db.url });
    expect(text.stdout).toMatch(/fleet: 1 of 1 member\(s\) alive/);
    expect(text.stdout).toMatch(/channel telegram:default: gw-one \(epoch 1, held /);
  }, 30_000);

  it("says why when the database has no fleet, or when no database is named", async () => {
    const empty = await createTestDatabase("fleet_none");
    try {
      const r = await runCli(["status", "--fleet", empty.url], env());
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/no gateway has joined a fleet on this database yet/);
    } finally {
      await empty.drop();
    }
    const none = await runCli(["status", "--fleet"], env());
    expect(none.code).toBe(78);
    expect(none.stderr).toMatch(/set SWITCHBOARD_DATABASE_URL/);
    const bad = await runCli(["status", "--fleet", "mysql://x@127.0.0.1/db"], env());
    expect(bad.code).toBe(78);
    expect(bad.stderr).toMatch(/needs a postgres:\/\/ URL/);
  }, 30_000);
});
