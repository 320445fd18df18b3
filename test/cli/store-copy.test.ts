// `switchboard store copy`: a real SQLite state, written by the stores, is
// copied by the real command into PostgreSQL and read back through the
// PostgreSQL store with the same answers; ids go on where SQLite left off.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { StoreBackend } from "../../src/store/backend.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { openPgStore } from "../../src/store/pg/index.ts";
import { sqliteBackend } from "../../src/store/sqlite-backend.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { runCli } from "./run-cli.ts";

let home: string;
const dbs: TestDatabase[] = [];
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "sb-copy-"));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));
afterAll(async () => {
  for (const d of dbs) await d.drop();
});

/** A fresh database; its URL carries a password (trust authentication ignores it) so the test can look for it. */
async function target(): Promise<{ url: string; password: string; db: TestDatabase }> {
  const db = await createTestDatabase("copy");
  dbs.push(db);
  const u = new URL(db.url);
  if (!u.password) {
    u.username ||= "postgres";
    u.password = "s3cret-copy-password";
  }
  return { url: u.toString(), password: decodeURIComponent(u.password), db };
}

const env = () => ({ SWITCHBOARD_HOME: home, SWITCHBOARD_LOG_LEVEL: "error" });

/** A state with something in every table, and gaps where rows were deleted. */
function writeState(s: Store): void {
  s.sessions.saveTurn("tg:1", { channel: "telegram", chatId: "1", messages: [], now: 100 });
  const rows = s.sessions.append("tg:1", [{ role: "user", content: "hi" }, { role: "assistant", content: "hello" }, { role: "user", content: "more ✓" }], 110);
  s.sessions.compact("tg:1", "greeted", rows[2]!.id, 120);
  s.sessions.saveTurn("tg:1", { promptTokens: 321, model: "main", messages: [], now: 121 });
  s.sessions.append("dc:2", [{ role: "user", content: "old" }], 130);
  s.sessions.reset("dc:2", 131);
  s.sessions.append("dc:2", [{ role: "user", content: "new" }], 132);
  const a = s.delivery.acceptInbound({ channel: "telegram", chatId: "1", messageId: "m1", sessionKey: "tg:1", senderId: "u1", payload: { text: "hi" }, receivedAt: 100 })!;
  s.delivery.acceptInbound({ channel: "telegram", chatId: "1", messageId: "m2", sessionKey: "tg:1", senderId: "u1", payload: { text: "waiting" }, receivedAt: 101 });
  const [sent, dead, waiting] = s.delivery.enqueueReply({ channel: "telegram", chatId: "1", replyId: "r1", chunks: ["one", "two", "three"], answers: [a.id], now: 110 });
  s.delivery.markSent([{ id: sent!.id, platformMessageId: "p1" }], 111);
  s.delivery.markFailed(dead!.id, "403", 0, true);
  s.delivery.markFailed(waiting!.id, "429", 5000, false);
  const gone = s.delivery.enqueueReply({ channel: "telegram", chatId: "1", replyId: "r2", chunks: ["dropped"], answers: [], now: 112 });
  s.delivery.markFailed(gone[0]!.id, "400", 0, true);
  s.delivery.dropDead(gone[0]!.id); // the highest outbox id is gone: the sequence must still skip it
  const req = s.pairing.requestCode({ channel: "telegram", senderId: "friend", chatId: "9", label: "@friend" }, 100, 3_600_000);
  s.pairing.approve("telegram", req.code, 101);
  s.pairing.requestCode({ channel: "telegram", senderId: "stranger", chatId: "8" }, 102, 3_600_000);
  const job = { schedule: { kind: "every" as const, everyMs: 60_000, anchor: 0 }, payload: { kind: "agent" as const, message: "news" }, origin: { channel: "telegram", chatId: "1" }, nextRunAt: 200, createdAt: 100 };
  s.cron.add({ ...job, name: "first" });
  s.cron.add({ ...job, name: "removed" });
  s.cron.add({ ...job, name: "third" });
  s.cron.remove("job2");
  s.cron.markRun("job1", { at: 150, status: "ok", output: "done" });
  s.cron.markRun("job3", { at: 151, status: "error", error: "boom" });
  s.kv.set("last_active_chat", { channel: "telegram", chatId: "1" }, 100);
  s.journal.begin("r1", "call-1", "send_message", 100);
  s.journal.finish("r1", "call-1", { ok: true });
  s.cursors.set("discord", "chan-1", "12345", 100);
}

/** Everything a caller can read, through the async interface. */
async function snapshot(b: StoreBackend) {
  const sessions = await b.sessions.listSessions();
  return {
    sessions,
    histories: await Promise.all(sessions.map((x) => b.sessions.history(x.key))),
    inbound: await b.delivery.pendingInbound(),
    outbound: await b.delivery.pendingOutbound(10_000),
    dead: await b.delivery.deadLetters(),
    counts: await b.delivery.counts(),
    hasReply: await b.delivery.hasReply("r2"),
    requests: await b.pairing.listRequests(1000),
    approved: await b.pairing.listApproved(),
    jobs: await b.cron.list(),
    runs: [await b.cron.runs("job1"), await b.cron.runs("job3")],
    kv: await b.kv.get("last_active_chat"),
    journal: await b.journal.begin("r1", "call-1", "send_message", 999),
    cursors: await b.cursors.list("discord"),
  };
}

/** What each store hands out next: the ids must continue where SQLite left off. */
async function nextIds(b: StoreBackend) {
  const [m] = await b.sessions.append("tg:1", [{ role: "user", content: "after" }], 500);
  const inbound = await b.delivery.acceptInbound({ channel: "telegram", chatId: "1", messageId: "m3", sessionKey: "tg:1", senderId: "u1", payload: {}, receivedAt: 500 });
  const [chunk] = await b.delivery.enqueueReply({ channel: "telegram", chatId: "1", replyId: "r3", chunks: ["x"], answers: [], now: 500 });
  const job = await b.cron.add({ schedule: { kind: "every", everyMs: 1000, anchor: 0 }, payload: { kind: "agent", message: "x" }, origin: { channel: "telegram", chatId: "1" }, nextRunAt: 1, createdAt: 1 });
  return { message: m!.id, inbound: inbound!.id, chunk: chunk!.id, job: job.id, duplicate: await b.delivery.acceptInbound({ channel: "telegram", chatId: "1", messageId: "m1", sessionKey: "tg:1", senderId: "u1", payload: {}, receivedAt: 1 }) };
}

describe("switchboard store copy", () => {
  let pgUrl: { url: string; password: string; db: TestDatabase };
  beforeAll(async () => {
    pgUrl = await target();
  });

  it("copies every table with its ids, prints the counts, never the password, and reads back the same", async () => {
    const s = openStore(join(home, "switchboard.db"));
    writeState(s);
    s.close();
    const run = await runCli(["store", "copy", "--to", pgUrl.url], env());
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/copied .*switchboard\.db → postgres:\/\/.*\[redacted\]@/);
    expect(run.stdout).toMatch(/^ {2}sessions +2$/m);
    expect(run.stdout).toMatch(/^ {2}messages +5$/m);
    expect(run.stdout).toMatch(/^ {2}outbox +3$/m);
    expect(run.stdout).toMatch(/^ {2}cron_runs +2$/m);
    expect(run.stdout).toMatch(/^router state from .*state → postgres:.*\n {2}router_targets +0\n {2}router_rr +0\n {2}router_rpm +0$/m);
    expect(run.stdout + run.stderr).not.toContain(pgUrl.password);

    const sqlite = sqliteBackend(openStore(join(home, "switchboard.db")));
    const pg = await openPgStore(pgUrl.url);
    try {
      const [a, b] = [await snapshot(sqlite), await snapshot(pg)];
      expect(b).toEqual(a);
      expect(b.sessions.map((x) => x.key)).toEqual(["dc:2", "tg:1"]);
      expect(b.histories[1]!.map((m) => m.message.content)).toEqual(["more ✓"]);
      expect(b.approved.map((x) => x.senderId)).toEqual(["friend"]);
      expect(b.jobs.map((j) => j.name)).toEqual(["first", "third"]);
      expect(await nextIds(pg)).toEqual(await nextIds(sqlite));
    } finally {
      await sqlite.close();
      await pg.close();
    }
  });

  it("refuses a target that already holds data, and writes nothing", async () => {
    const s = openStore(join(home, "switchboard.db"));
    s.kv.set("only", 1);
    s.close();
    const again = await runCli(["store", "copy", "--to", pgUrl.url, "--force"], env());
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds Switchboard data \(.*sessions: 2.*\); store copy only fills an empty database/);
    expect(again.stderr).not.toContain(pgUrl.password);
    const pg = await openPgStore(pgUrl.url);
    try {
      expect(await pg.kv.get("only")).toBeUndefined();
    } finally {
      await pg.close();
    }
  });

  it("wants --force for a database Switchboard already set up but left empty", async () => {
    const fresh = await target();
    const set = await openPgStore(fresh.url);
    await set.close();
    const s = openStore(join(home, "switchboard.db"));
    s.kv.set("k", "v");
    s.close();
    const refused = await runCli(["store", "copy", "--to", fresh.url], env());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/already holds a Switchboard schema \(version \d+\); to copy into it anyway \(it must still be empty\), pass --force/);
    const forced = await runCli(["store", "copy", "--to", fresh.url, "--force", "--json"], env());
    expect(forced.code).toBe(0);
    const out = JSON.parse(forced.stdout) as { tables: Record<string, number>; router: { rows: Record<string, number> }; to: string };
    expect(out.tables.kv).toBe(1);
    expect(out.router.rows).toEqual({ router_targets: 0, router_rr: 0, router_rpm: 0 });
    expect(out.to).not.toContain(fresh.password);
  });

  it("says what is wrong with the target or the source", async () => {
    const noUrl = await runCli(["store", "copy"], env());
    expect(noUrl.code).toBe(78);
    expect(noUrl.stderr).toMatch(/--to: no PostgreSQL database given.*SWITCHBOARD_DATABASE_URL/);
    const sqliteUrl = await runCli(["store", "copy", "--to", "sqlite:/tmp/x.db"], env());
    expect(sqliteUrl.code).toBe(2);
    expect(sqliteUrl.stderr).toMatch(/--to: store copy writes to PostgreSQL only/);
    const noSource = await runCli(["store", "copy", "--to", pgUrl.url], env());
    expect(noSource.code).toBe(2);
    expect(noSource.stderr).toMatch(/switchboard\.db does not exist: there is no SQLite state to copy/);
  });
});

describe("store.url and SWITCHBOARD_DATABASE_URL", () => {
  it("the gateway on a PostgreSQL server it cannot reach stops at start, naming the key, without the password", async () => {
    const run = await runCli(["gateway"], { ...env(), SWITCHBOARD_DATABASE_URL: "postgres://sb:gateway-pass-987@127.0.0.1:1/sb" });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot start on the PostgreSQL database in SWITCHBOARD_DATABASE_URL/);
    expect(run.stderr).toMatch(/Start PostgreSQL or correct SWITCHBOARD_DATABASE_URL/);
    expect(run.stderr).not.toContain("gateway-pass-987");
  });

  it("a store.url that is neither sqlite: nor postgres:// is a config error naming store.url", async () => {
    writeFileSync(join(home, "config.json"), JSON.stringify({ store: { url: "mysql://u:pw-mysql-123@h/db" } }));
    const run = await runCli(["gateway"], env());
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/store\.url: .*is neither a sqlite: path nor a postgres:\/\/ URL/);
    expect(run.stderr).not.toContain("pw-mysql-123");
  });
});
