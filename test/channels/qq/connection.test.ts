// The gateway connection of the real adapter against the fake QQ: identify,
// heartbeats, resume after drops and RECONNECT, re-identify after
// INVALID_SESSION and session-ending close codes, hopeless close codes, and
// stop().
import { afterEach, describe, expect, it } from "vitest";
import { SESSION_SCOPE } from "../../../channels/qq/session.ts";
import { ManualClock } from "../../../src/core/clock.ts";
import { GROUP_AND_C2C_EVENT } from "../../fakes/qq/server.ts";
import { pause, startHarness, type Harness } from "./harness.ts";

let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** the seq the gateway saved in the cursor store (what a restart resumes from) */
function savedSeq(harness: Harness): number | undefined {
  const raw = harness.cursors.get(SESSION_SCOPE);
  return raw ? (JSON.parse(raw) as { seq?: number }).seq : undefined;
}

async function started(...args: Parameters<typeof startHarness>): Promise<Harness> {
  h = await startHarness(...args);
  await h.start();
  return h;
}

describe("QQ gateway session", () => {
  it("identifies with the access token, the group+C2C intent and one shard, then goes online", async () => {
    const { fake, statuses, adapter } = await started();
    expect(fake.identifies).toHaveLength(1);
    const id = fake.identifies[0]!;
    expect(id.token).toBe(`QQBot ${fake.tokens[0]}`);
    expect(id.intents & GROUP_AND_C2C_EVENT).toBe(GROUP_AND_C2C_EVENT);
    expect(id.shard).toEqual([0, 1]);
    expect(statuses.map((s) => s.state)).toEqual(["connecting", "online"]);
    expect(adapter.sessionId).toBe(fake.gateway.sessionId);
    // REST calls carry the token and the app id
    const gw = fake.requests.find((r) => r.path === "/gateway/bot")!;
    expect(gw.authorization).toBe(`QQBot ${fake.tokens[0]}`);
    expect(gw.appid).toBe(fake.appId);
  });

  it("heartbeats at the interval QQ gives, carrying the last sequence number", async () => {
    const clock = new ManualClock();
    const { fake } = await started({ heartbeatIntervalMs: 30_000 }, { clock });
    expect(fake.heartbeats).toEqual([]);
    clock.advance(30_000);
    await fake.waitFor(() => fake.heartbeats.length === 1, "the first heartbeat");
    expect(fake.heartbeats[0]).toBe(1); // READY was s = 1
    fake.c2cMessage({ openid: "U1", text: "one" });
    fake.c2cMessage({ openid: "U1", text: "two" });
    await h!.waitForMessages(2);
    // seq moves past a message once it was handed over: wait until the saved session says 3
    await fake.waitFor(() => savedSeq(h!) === 3, "seq 3 to be recorded");
    clock.advance(29_999);
    await pause(30);
    expect(fake.heartbeats).toHaveLength(1);
    clock.advance(1);
    await fake.waitFor(() => fake.heartbeats.length === 2, "the second heartbeat");
    expect(fake.heartbeats[1]).toBe(3);
  });

  it("reconnects when a heartbeat goes unacknowledged, and resumes", async () => {
    const clock = new ManualClock();
    const { fake } = await started({ heartbeatIntervalMs: 10_000 }, { clock, initialBackoffMs: 1 });
    fake.gateway.ackHeartbeats = false;
    clock.advance(10_000);
    await fake.waitFor(() => fake.heartbeats.length === 1, "a heartbeat");
    fake.gateway.ackHeartbeats = true;
    const mark = h!.statuses.length;
    clock.advance(10_000); // no ACK for the first: the link is dead
    await h!.waitForStatus("reconnecting", mark);
    expect(h!.statuses.at(-1)!.detail).toMatch(/stopped answering heartbeats/);
    clock.advance(10); // the reconnect backoff
    await fake.waitFor(() => fake.resumes.length === 1, "a RESUME");
    expect(fake.gateway.connections).toBe(2);
    expect(fake.identifies).toHaveLength(1);
  });
});

describe("QQ gateway recovery", () => {
  it("resumes after a dropped connection with the session and last seq, and gets what was sent meanwhile", async () => {
    const { fake, received, statuses } = await started();
    fake.c2cMessage({ openid: "U1", text: "before" });
    await h!.waitForMessages(1);
    const mark = statuses.length;
    fake.dropConnection();
    fake.c2cMessage({ openid: "U1", text: "while down" });
    await h!.waitForMessages(2);
    // QQ replays what was missed before RESUMED, so the replayed message can be handled before the bot is back online
    await h!.waitForStatus("online", mark);
    expect(fake.resumes).toEqual([{ session_id: fake.gateway.sessionId, seq: 2, replayed: 1 }]);
    expect(fake.identifies).toHaveLength(1);
    expect(statuses.slice(mark).map((s) => s.state)).toEqual(["reconnecting", "online"]);
    fake.c2cMessage({ openid: "U1", text: "after" });
    await h!.waitForMessages(3);
    expect(received.map((m) => m.text)).toEqual(["before", "while down", "after"]);
  });

  it("reconnects and resumes when QQ sends RECONNECT (op 7)", async () => {
    const { fake } = await started();
    fake.sendReconnect();
    await fake.waitFor(() => fake.resumes.length === 1, "a RESUME");
    fake.c2cMessage({ openid: "U1", text: "after reconnect" });
    await h!.waitForMessages(1);
    expect(fake.identifies).toHaveLength(1);
  });

  it("forgets the session and identifies again after INVALID_SESSION (op 9)", async () => {
    const { fake, received } = await started();
    const first = fake.gateway.sessionId;
    fake.sendInvalidSession();
    await fake.waitFor(() => fake.identifies.length === 2, "a second IDENTIFY");
    // the fake's session changes as it sends READY; the bot has it once READY arrived
    await fake.waitFor(() => fake.gateway.connected && fake.gateway.sessionId !== first, "a new session");
    await fake.waitFor(() => h!.adapter.sessionId === fake.gateway.sessionId, "the bot to take the new session");
    expect(fake.resumes).toHaveLength(0);
    expect(h!.adapter.sessionId).not.toBe(first);
    fake.c2cMessage({ openid: "U1", text: "new session" });
    await h!.waitForMessages(1);
    expect(received[0]!.text).toBe("new session");
  });

  it("identifies again after a close code that ends the session (4006)", async () => {
    const { fake } = await started();
    fake.closeConnection(4006, "invalid session id");
    await fake.waitFor(() => fake.identifies.length === 2, "a second IDENTIFY");
    expect(fake.resumes).toHaveLength(0);
  });

  it("fetches a new token and resumes when the gateway refuses the token (4004)", async () => {
    const { fake } = await started();
    fake.expireToken();
    fake.closeConnection(4004, "invalid token");
    await fake.waitFor(() => fake.resumes.length === 1, "a RESUME");
    expect(fake.tokens).toHaveLength(2);
  });

  it("stops with a reason on a hopeless close code (4915 banned) and does not reconnect", async () => {
    const { fake, statuses } = await started();
    fake.closeConnection(4915, "banned");
    await h!.waitForStatus("offline");
    expect(statuses.at(-1)!.detail).toMatch(/banned/);
    await pause(100);
    expect(fake.gateway.connections).toBe(1);
    await expect(h!.adapter.probe!()).rejects.toThrow(/gateway is down.*banned/);
  });

  it("backs off (doubling, capped) between failed reconnects and resumes once QQ is back", async () => {
    const { fake, statuses } = await started({}, { initialBackoffMs: 30, maxBackoffMs: 60 });
    const mark = statuses.length;
    fake.gateway.refuseUpgrades = 3;
    fake.dropConnection();
    await fake.waitFor(() => fake.resumes.length === 1, "a RESUME");
    // the fake counts the RESUME when it arrives; the bot is online once RESUMED came back
    await h!.waitForStatus("online", mark);
    expect(fake.gateway.refusedUpgrades).toBe(3);
    const waits = statuses.slice(mark).filter((s) => s.state === "reconnecting").map((s) => /reconnecting in (\d+) ms/.exec(s.detail ?? "")?.[1]);
    expect(waits).toEqual(["30", "60", "60", "60"]);
    expect(statuses.slice(mark).filter((s) => s.state === "reconnecting")[1]!.detail).toMatch(/503/);
    expect(statuses.at(-1)!.state).toBe("online");
  });
});

describe("QQ start and stop", () => {
  it("rejects start() with a clear reason when the credentials are wrong, and never leaks the secret", async () => {
    const secret = "WRONG-secret-value-that-must-not-leak";
    h = await startHarness({}, {}, { app_secret: secret });
    const err = await h.start().then(
      () => new Error("start resolved"),
      (e: Error) => e,
    );
    expect(err.message).toMatch(/QQ refused the bot credentials.*code 100016.*channels\.qq\.app_id and channels\.qq\.app_secret/);
    expect(h.statuses.at(-1)).toEqual({ state: "offline", detail: err.message });
    const everything = [err.message, err.stack ?? "", ...h.statuses.map((s) => s.detail ?? ""), ...h.logs].join("\n");
    expect(everything).not.toContain(secret);
    expect(h.fake.gateway.connections).toBe(0);
  });

  it("rejects start() when the gateway cannot be reached", async () => {
    h = await startHarness();
    await h.fake.close();
    await expect(h.start()).rejects.toThrow(/QQ could not read the gateway address|fetch failed|ECONNREFUSED|token request/);
    expect(h.statuses.at(-1)!.state).toBe("offline");
  });

  it("stops promptly and idempotently, closing the socket", async () => {
    const { fake, adapter } = await started();
    // how long a stop takes is bounded inside the gateway (close, then terminate); here: it returns, closes, stays stopped
    await Promise.all([adapter.stop(), adapter.stop()]);
    await adapter.stop();
    await fake.waitFor(() => fake.gateway.openSockets() === 0, "the socket to close");
    await pause(100);
    expect(fake.gateway.connections).toBe(1); // no reconnect after stop
  });

  it("stops when the context's signal aborts, and can start again", async () => {
    const { fake } = await started();
    h!.controller.abort();
    await fake.waitFor(() => fake.gateway.openSockets() === 0, "the socket to close");
    await h!.restart();
    expect(fake.gateway.openSockets()).toBe(1);
  });

  it("stop() during a start that is still connecting ends the start without an error", async () => {
    h = await startHarness();
    const starting = h.start();
    await h.adapter.stop();
    await expect(starting).resolves.toBeUndefined();
    await pause(50);
    expect(h.fake.gateway.openSockets()).toBe(0);
  });
});
