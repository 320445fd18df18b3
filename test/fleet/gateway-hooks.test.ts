// The hooks a gateway's parts get from its fleet (fleet-hooks.ts), two
// gateways on one PostgreSQL: replies stored anywhere wake the channel's
// owner through NOTIFY (after commit only), the outbox fence lets only the
// lease holder mark a chunk sent, session claims, waiting sessions taken up,
// the heartbeat leading on one gateway and a cron run fired once.
import { describe, expect, it } from "vitest";
import { isFenced } from "../../src/gateway/fleet-hooks.ts";
import { QUICK_FLEET, startGateway, until, useFleet, type TestGateway } from "./gateways.ts";

const f = useFleet("fleet_hooks");
const fleet = QUICK_FLEET;

async function pair(): Promise<[TestGateway, TestGateway]> {
  const channels = { telegram: { enabled: true, token: f.api.token, api_base: f.api.url } };
  const a = await startGateway("hook-a", { url: f.db.url, store: f.store, channels, fleet });
  f.running.push(a);
  await until(() => a.channels.holds("telegram"), "hook-a to hold telegram");
  const b = await startGateway("hook-b", { url: f.db.url, store: f.store, channels, fleet });
  f.running.push(b);
  return [a, b];
}

const reply = (replyId: string) => ({ channel: "telegram", chatId: "42", replyId, chunks: [{ text: "hi", format: "plain" }], answers: [], now: Date.now() });

describe("fleet hooks", () => {
  it("a reply stored by any gateway wakes the channel's owner only, and only once it is committed", async () => {
    const [a, b] = await pair();
    await until(() => a.kicks.length > 0, "the start-up kick");
    a.kicks.length = 0;
    b.kicks.length = 0;
    await f.store.delivery.enqueueReply(reply("r-1"));
    await until(() => a.kicks.includes("telegram"), "hook-a to be told of the reply");
    expect(b.kicks).not.toContain("telegram");

    // a reply whose transaction rolls back is never announced; one committed later is
    a.kicks.length = 0;
    await expect(
      f.store.transaction(async (tx) => {
        await tx.delivery.enqueueReply(reply("r-2"));
        throw new Error("turn aborted");
      }),
    ).rejects.toThrow("turn aborted");
    await f.store.delivery.enqueueReply(reply("r-3"));
    await until(() => a.kicks.includes("telegram"), "hook-a to be told of r-3");
    expect(a.kicks.filter((k) => k === "telegram")).toHaveLength(1);
  }, 30_000);

  it("only the lease holder marks a chunk sent; a gateway that lost the lease is refused", async () => {
    const [a, b] = await pair();
    const [chunk] = await f.store.delivery.enqueueReply(reply("r-fence"));
    expect(a.fleet.outbox.drains("telegram")).toBe(true);
    expect(b.fleet.outbox.drains("telegram")).toBe(false);
    const refused = await b.fleet.outbox.send("telegram", (d) => d.markSent([{ id: chunk!.id, platformMessageId: "m-b" }], Date.now())).catch((e: unknown) => e);
    expect(isFenced(refused)).toBe(true);
    await a.fleet.outbox.send("telegram", (d) => d.markSent([{ id: chunk!.id, platformMessageId: "m-a" }], Date.now()));
    const { rows } = await f.store.pool.query("SELECT state, platform_message_id FROM outbox WHERE id = $1", [chunk!.id]);
    expect(rows[0]).toEqual({ state: "sent", platform_message_id: "m-a" });
  }, 30_000);

  it("a session is claimed by one gateway at a time; a dead gateway's claim passes on and it stores nothing", async () => {
    const [a, b] = await pair();
    const mine = await a.fleet.sessions.claim("telegram:7");
    expect(mine).not.toBeNull();
    expect(await b.fleet.sessions.claim("telegram:7")).toBeNull();
    expect(await mine!.held()).toBe(true);
    await mine!.release();
    const theirs = await b.fleet.sessions.claim("telegram:7");
    expect(theirs).not.toBeNull();
    expect(await a.fleet.sessions.claim("telegram:7")).toBeNull();

    // b dies holding it: a takes the session once b's heartbeat is stale, and b's claim no longer holds
    await b.kill();
    const taken = await until(async () => (await a.fleet.sessions.claim("telegram:7")) ?? undefined, "the claim to pass to hook-a", 10_000);
    expect(taken.sessionKey).toBe("telegram:7");
    expect(await theirs!.held()).toBe(false);
  }, 30_000);

  it("messages left waiting without a claim are taken up by a gateway", async () => {
    const [a, b] = await pair();
    await f.store.delivery.acceptInbound({ channel: "telegram", chatId: "9", messageId: "m9", sessionKey: "telegram:9", senderId: "9", payload: { text: "left" }, receivedAt: Date.now() - 60_000 });
    await until(() => a.woken.includes("telegram:9") || b.woken.includes("telegram:9"), "a gateway to take up telegram:9");
    // a claimed session is left to its claimer
    const claim = await a.fleet.sessions.claim("telegram:9");
    a.woken.length = 0;
    b.woken.length = 0;
    await new Promise((r) => setTimeout(r, 1000)); // several scans (every 300 ms in this test)
    expect([...a.woken, ...b.woken]).toEqual([]);
    await claim!.release();
    await f.store.pool.query("UPDATE inbox SET state = 'done'");
  }, 30_000);

  it("the heartbeat leads on one gateway, and a cron run fires on one", async () => {
    const [a, b] = await pair();
    await until(() => a.fleet.heartbeat.leads() || b.fleet.heartbeat.leads(), "a heartbeat leader");
    expect([a, b].filter((g) => g.fleet.heartbeat.leads())).toHaveLength(1);
    const at = Date.now();
    const fired = await Promise.all([a.fleet.cron.claimFire("job-1", at), b.fleet.cron.claimFire("job-1", at), a.fleet.cron.claimFire("job-1", at)]);
    expect(fired.filter(Boolean)).toHaveLength(1);
    const leader = a.fleet.heartbeat.leads() ? a : b;
    const other = leader === a ? b : a;
    await leader.stop();
    await until(() => other.fleet.heartbeat.leads(), "the other gateway to lead", 5000);
  }, 30_000);
});
