// Channel leases with the real Telegram adapter against the fake Bot API and
// two gateways on one PostgreSQL: exactly one getUpdates poller at a time,
// a clean stop hands the channel over at once, a crashed owner's channel is
// taken over after the lease TTL, and nothing is lost or stored twice
// (updates the dead owner stored but never confirmed come again and the
// inbox keeps one copy).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openPgStore, type PgBackend } from "../../src/store/pg/index.ts";
import { FakeTelegramApi } from "../fakes/telegram-api.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { lines, startGateway, until, type TestGateway } from "./gateways.ts";

let db: TestDatabase;
let store: PgBackend;
let api: FakeTelegramApi;
let running: TestGateway[] = [];
// short leases keep the crash case quick; the defaults (6 s) are the e2e tests' and the bench's
const fleet = { leaseTtlMs: 2500, renewMs: 700, memberTtlMs: 2500, heartbeatMs: 700 };

beforeAll(async () => {
  db = await createTestDatabase("fleet_channels");
  store = await openPgStore(db.url);
  api = await FakeTelegramApi.start();
});
afterEach(async () => {
  await Promise.all(running.map((g) => g.stop()));
  running = [];
});
afterAll(async () => {
  await store.close();
  await db.drop();
  await api.close();
});

const telegram = () => ({ telegram: { enabled: true, token: api.token, api_base: api.url } });

async function gateway(name: string): Promise<TestGateway> {
  const g = await startGateway(name, { url: db.url, store, channels: telegram(), fleet });
  running.push(g);
  return g;
}

/** the gateways running the Telegram poller now */
const pollers = (gs: TestGateway[]) => gs.filter((g) => g.set.has("telegram"));
const conflicts = (gs: TestGateway[]) => gs.flatMap((g) => lines(g, /getUpdates failed/).filter((l) => /409|Conflict/.test(String(l.err))));

async function inboxTexts(): Promise<string[]> {
  const r = await store.pool.query<{ t: string }>("SELECT payload::jsonb->>'text' AS t FROM inbox ORDER BY id");
  return r.rows.map((x) => x.t);
}

describe("channel leases across two gateways", () => {
  it("runs the Telegram poller on exactly one gateway; a clean stop hands it over at once", async () => {
    const a = await gateway("gw-a");
    const b = await gateway("gw-b");
    const owner = await until(() => pollers([a, b])[0], "one gateway to run the Telegram poller");
    const other = owner === a ? b : a;
    // watch for a second poller all along
    let both = 0;
    const watch = setInterval(() => {
      if (pollers([a, b]).length > 1) both++;
    }, 10);
    try {
      for (let i = 0; i < 5; i++) api.userMessage({ chatId: 100 + i, text: `first ${i}` });
      await until(async () => (await inboxTexts()).length === 5, "five messages stored");
      expect(owner.stored).toHaveLength(5);
      expect(other.stored).toHaveLength(0);

      await owner.stop(); // SIGTERM: the lease is given back, not left to expire
      await until(() => other.set.has("telegram") && api.heldPolls() === 1, "the other gateway to poll", 5000);
      for (let i = 0; i < 5; i++) api.userMessage({ chatId: 200 + i, text: `second ${i}` });
      await until(async () => (await inboxTexts()).length === 10, "ten messages stored");
      expect(other.stored).toHaveLength(5);
    } finally {
      clearInterval(watch);
    }
    expect(both).toBe(0);
    expect(conflicts([a, b])).toEqual([]);
    expect(lines(other, /lease acquired/).map((l) => l.resource)).toContain("telegram:default");
  }, 60_000);

  it("a crashed owner's channel is taken over after the lease TTL; an update it stored but never confirmed is stored once", async () => {
    await store.pool.query("TRUNCATE inbox");
    // gw-c dies right after storing this one, before its next poll confirms it to Telegram
    const crash = (text: string, g: TestGateway) => {
      if (text !== "stored, then the crash") return;
      void g.kill();
      throw new Error("killed");
    };
    const c = await startGateway("gw-c", { url: db.url, store, channels: telegram(), fleet, onStored: crash });
    running.push(c);
    await until(() => c.set.has("telegram"), "gw-c to poll");
    const d = await gateway("gw-d");
    api.userMessage({ chatId: 300, text: "before the crash" });
    await until(async () => (await inboxTexts()).includes("before the crash"), "the first message stored");
    api.userMessage({ chatId: 301, text: "stored, then the crash" });
    await until(() => c.stored.includes("stored, then the crash"), "gw-c to store the second message");
    const killedAt = Date.now();
    api.userMessage({ chatId: 302, text: "while nobody polls" });
    await until(() => d.set.has("telegram"), "gw-d to take the poller over", 10_000);
    const takeoverMs = Date.now() - killedAt;
    await until(async () => (await inboxTexts()).includes("while nobody polls"), "the waiting message stored by gw-d");
    await until(() => api.pending().length === 0, "every update confirmed");
    expect(await inboxTexts()).toEqual(["before the crash", "stored, then the crash", "while nobody polls"]);
    // gw-d was given the unconfirmed update again; the inbox already had it
    expect(d.stored).toEqual(["while nobody polls"]);
    expect(conflicts([c, d])).toEqual([]);
    // not before the dead owner's lease ran out: nobody polled while it might still have
    expect(takeoverMs).toBeGreaterThanOrEqual(fleet.leaseTtlMs - 1000);
  }, 60_000);
});

describe("a webhook-mode channel in a fleet", () => {
  it("takes webhooks on every gateway, while only the lease holder drains its outbox", async () => {
    const hooked = { telegram: { enabled: true, token: api.token, api_base: api.url, mode: "webhook", webhook_url: "https://bot.example.com/webhook/telegram", webhook_secret: "s3cret-token" } };
    const e = await startGateway("gw-e", { url: db.url, store, channels: hooked, fleet });
    const f = await startGateway("gw-f", { url: db.url, store, channels: hooked, fleet });
    running.push(e, f);
    await until(() => e.set.has("telegram") && f.set.has("telegram"), "both gateways to take webhooks");
    const drainer = await until(() => [e, f].filter((g) => g.fleet.outbox.drains("telegram")).length === 1 && [e, f].find((g) => g.fleet.outbox.drains("telegram")), "one gateway to drain the outbox");
    const other = drainer === e ? f : e;
    expect(other.fleet.outbox.drains("telegram")).toBe(false);
    // a webhook-mode channel's lease moving does not stop it where it was
    await drainer.stop();
    await until(() => other.fleet.outbox.drains("telegram"), "the other gateway to drain the outbox", 5000);
    expect(other.set.has("telegram")).toBe(true);
  }, 60_000);
});
