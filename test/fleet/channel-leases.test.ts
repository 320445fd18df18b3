// Channel leases with the real Telegram adapter against the fake Bot API and
// two gateways on one PostgreSQL: exactly one getUpdates poller at a time,
// a clean stop hands the channel over at once, a crashed owner's channel is
// taken over after the lease TTL, and nothing is lost or stored twice
// (updates the dead owner stored but never confirmed come again and the
// inbox keeps one copy).
import { describe, expect, it } from "vitest";
import { lines, QUICK_FLEET, startGateway, until, useFleet, type TestGateway } from "./gateways.ts";

const f = useFleet("fleet_channels");
const fleet = QUICK_FLEET;

const telegram = () => ({ telegram: { enabled: true, token: f.api.token, api_base: f.api.url } });

async function gateway(name: string): Promise<TestGateway> {
  const g = await startGateway(name, { url: f.db.url, store: f.store, channels: telegram(), fleet });
  f.running.push(g);
  return g;
}

/** the gateways running the Telegram poller now */
const pollers = (gs: TestGateway[]) => gs.filter((g) => g.set.has("telegram"));
const conflicts = (gs: TestGateway[]) => gs.flatMap((g) => lines(g, /getUpdates failed/).filter((l) => /409|Conflict/.test(String(l.err))));

async function inboxTexts(): Promise<string[]> {
  const r = await f.store.pool.query<{ t: string }>("SELECT payload::jsonb->>'text' AS t FROM inbox ORDER BY id");
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
      for (let i = 0; i < 5; i++) f.api.userMessage({ chatId: 100 + i, text: `first ${i}` });
      await until(async () => (await inboxTexts()).length === 5, "five messages stored");
      expect(owner.stored).toHaveLength(5);
      expect(other.stored).toHaveLength(0);

      await owner.stop(); // SIGTERM: the lease is given back, not left to expire
      await until(() => other.set.has("telegram") && f.api.heldPolls() === 1, "the other gateway to poll", 5000);
      for (let i = 0; i < 5; i++) f.api.userMessage({ chatId: 200 + i, text: `second ${i}` });
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
    await f.store.pool.query("TRUNCATE inbox");
    // gw-c dies right after storing this one, before its next poll confirms it to Telegram
    const crash = (text: string, g: TestGateway) => {
      if (text !== "stored, then the crash") return;
      void g.kill();
      throw new Error("killed");
    };
    const c = await startGateway("gw-c", { url: f.db.url, store: f.store, channels: telegram(), fleet, onStored: crash });
    f.running.push(c);
    await until(() => c.set.has("telegram"), "gw-c to poll");
    const d = await gateway("gw-d");
    f.api.userMessage({ chatId: 300, text: "before the crash" });
    await until(async () => (await inboxTexts()).includes("before the crash"), "the first message stored");
    f.api.userMessage({ chatId: 301, text: "stored, then the crash" });
    await until(() => c.stored.includes("stored, then the crash"), "gw-c to store the second message");
    const killedAt = Date.now();
    f.api.userMessage({ chatId: 302, text: "while nobody polls" });
    await until(() => d.set.has("telegram"), "gw-d to take the poller over", 10_000);
    const takeoverMs = Date.now() - killedAt;
    await until(async () => (await inboxTexts()).includes("while nobody polls"), "the waiting message stored by gw-d");
    await until(() => f.api.pending().length === 0, "every update confirmed");
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
    const hooked = { telegram: { enabled: true, token: f.api.token, api_base: f.api.url, mode: "webhook", webhook_url: "https://bot.example.com/webhook/telegram", webhook_secret: "s3cret-token" } };
    const one = await startGateway("gw-e", { url: f.db.url, store: f.store, channels: hooked, fleet });
    const two = await startGateway("gw-f", { url: f.db.url, store: f.store, channels: hooked, fleet });
    f.running.push(one, two);
    await until(() => one.set.has("telegram") && two.set.has("telegram"), "both gateways to take webhooks");
    const drainer = await until(() => ([one, two].filter((g) => g.fleet.outbox.drains("telegram")).length === 1 && [one, two].find((g) => g.fleet.outbox.drains("telegram"))) || undefined, "one gateway to drain the outbox");
    const other = drainer === one ? two : one;
    expect(other.fleet.outbox.drains("telegram")).toBe(false);
    // a webhook-mode channel's lease moving does not stop it where it was
    await drainer.stop();
    await until(() => other.fleet.outbox.drains("telegram"), "the other gateway to drain the outbox", 5000);
    expect(other.set.has("telegram")).toBe(true);
  }, 60_000);
});
