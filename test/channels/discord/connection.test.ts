// Connection lifecycle of the real adapter against the fake gateway: login
// failures, resume after drops / RECONNECT / INVALID_SESSION / missed
// heartbeat ACKs, fatal close codes, and stop().
import { createServer, type AddressInfo, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { INTENTS_DISALLOWED, TOKEN_REJECTED } from "../../../channels/discord/errors.ts";
import { pause, startHarness, type Harness } from "./harness.ts";

let h: Harness | undefined;
let hole: Server | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
  await new Promise<void>((r) => (hole ? hole.close(() => r()) : r()));
  hole = undefined;
});

/** a "gateway" that accepts TCP and hangs up at once, counting the attempts */
async function blackhole(): Promise<{ url: string; attempts: () => number }> {
  let n = 0;
  hole = createServer((socket) => {
    n++;
    socket.destroy();
  });
  await new Promise<void>((r) => hole!.listen(0, "127.0.0.1", r));
  return { url: `ws://127.0.0.1:${(hole.address() as AddressInfo).port}`, attempts: () => n };
}

async function started(...args: Parameters<typeof startHarness>): Promise<Harness> {
  h = await startHarness(...args);
  await h.start();
  return h;
}

describe("Discord login", () => {
  it("rejects a bad token with a clear message that does not contain the token", async () => {
    const badToken = "MTIzbad.token-value.that-must-never-be-logged";
    h = await startHarness({}, { token: badToken });
    const err = await h.start().then(
      () => new Error("start resolved"),
      (e: Error) => e,
    );
    expect(err.message).toBe(TOKEN_REJECTED);
    expect(h.statuses.at(-1)).toEqual({ state: "offline", detail: TOKEN_REJECTED });
    const everything = [err.message, err.stack ?? "", ...h.statuses.map((s) => s.detail ?? ""), ...h.logs].join("\n");
    expect(everything).not.toContain(badToken);
    expect(h.fake.gateway.connections).toHaveLength(0);
  });

  it("explains a refused Message Content intent (close 4014)", async () => {
    h = await startHarness({ allowPrivilegedIntents: false });
    await expect(h.start()).rejects.toThrow(INTENTS_DISALLOWED);
    expect(h.fake.gateway.closes).toEqual([4014]);
    expect(h.statuses.at(-1)).toEqual({ state: "offline", detail: INTENTS_DISALLOWED });
  });

  it("gives up with a reason when the gateway never becomes ready", async () => {
    h = await startHarness({ gatewayUrl: "ws://127.0.0.1:9" }, { readyTimeoutMs: 400 });
    await expect(h.start()).rejects.toThrow(/not ready after .*network/);
    expect(h.statuses.at(-1)!.state).toBe("offline");
  });

  it("goes connecting → online, with heartbeats acknowledged", async () => {
    const { statuses, fake } = await started();
    expect(statuses[0]).toEqual({ state: "connecting" });
    expect(statuses.at(-1)).toEqual({ state: "online" });
    expect(h!.adapter.botUserId).toBe(fake.bot.id);
    // heartbeats carry the last sequence number seen (null only before READY)
    await fake.waitFor(() => fake.gateway.heartbeats.some((s) => s !== null && s >= 2), "a heartbeat after READY", 2_000);
  });
});

describe("Discord gateway recovery", () => {
  it("resumes after a dropped connection and replays what was sent meanwhile", async () => {
    const { fake, received, statuses } = await started();
    const mark = statuses.length;
    fake.dropConnection();
    fake.dm("sent while the bot was disconnected");
    await h!.waitForMessages(1);
    expect(received[0]!.text).toBe("sent while the bot was disconnected");
    expect(fake.gateway.identifies).toHaveLength(1);
    expect(fake.gateway.resumes).toHaveLength(1);
    expect(fake.gateway.resumes[0]!.replayed).toBeGreaterThanOrEqual(1);
    expect(fake.gateway.connections.at(-1)!.path).toBe("/resume");
    expect(statuses.slice(mark).map((s) => s.state)).toEqual(["reconnecting", "online"]);
    fake.dm("and after it");
    await h!.waitForMessages(2);
    expect(received[1]!.text).toBe("and after it");
  });

  it("resumes when Discord asks it to reconnect (op 7)", async () => {
    const { fake, received } = await started();
    fake.sendReconnect();
    await fake.waitFor(() => fake.gateway.resumes.length === 1, "a RESUME");
    fake.dm("after reconnect");
    await h!.waitForMessages(1);
    expect(received[0]!.text).toBe("after reconnect");
    expect(fake.gateway.identifies).toHaveLength(1);
  });

  it("resumes on a resumable INVALID_SESSION", async () => {
    const { fake, received } = await started();
    fake.sendInvalidSession(true);
    await fake.waitFor(() => fake.gateway.resumes.length === 1, "a RESUME");
    fake.guildMessage("still here?");
    await h!.waitForMessages(1);
    expect(received[0]!.text).toBe("still here?");
  });

  it("reconnects when heartbeats stop being acknowledged (zombie connection)", async () => {
    const { fake, received } = await started({ heartbeatIntervalMs: 200 });
    const connections = fake.gateway.connections.length;
    fake.gateway.ackHeartbeats = false;
    await fake.waitFor(() => fake.gateway.connections.length > connections, "a new connection", 4_000);
    fake.gateway.ackHeartbeats = true;
    await fake.waitFor(() => fake.gateway.resumes.length === 1, "a RESUME");
    fake.dm("alive again");
    await h!.waitForMessages(1);
    expect(received[0]!.text).toBe("alive again");
  });

  it("goes offline with the reason when the gateway revokes the token (4004) and does not retry", async () => {
    const { fake, statuses } = await started();
    fake.closeConnection(4004, "Authentication failed");
    await h!.waitForStatus("offline");
    expect(statuses.at(-1)).toEqual({ state: "offline", detail: TOKEN_REJECTED });
    const connections = fake.gateway.connections.length;
    await pause(700);
    expect(fake.gateway.connections).toHaveLength(connections);
  });
});

describe("Discord stop", () => {
  it("is prompt, idempotent, closes the socket and reports nothing afterwards", async () => {
    const { fake, adapter, statuses } = await started();
    expect(fake.gateway.openSockets()).toBe(1);
    const t0 = Date.now();
    await Promise.all([adapter.stop(), adapter.stop()]);
    await adapter.stop();
    expect(Date.now() - t0).toBeLessThan(1_000);
    await fake.waitFor(() => fake.gateway.openSockets() === 0, "the socket to close", 1_000);
    const mark = statuses.length;
    fake.dm("nobody listens");
    await pause(100);
    expect(h!.received).toHaveLength(0);
    expect(statuses.length).toBe(mark);
    await expect(adapter.send(fake.dmChannelId(), { text: "x", format: "plain" })).rejects.toThrow(/not running/);
  });

  it("returns promptly even when the server never answers the close handshake", async () => {
    const { fake, adapter } = await started();
    fake.gateway.freeze();
    const t0 = Date.now();
    await adapter.stop();
    expect(Date.now() - t0).toBeLessThan(1_500); // stopTimeoutMs is 1 s in the harness
  });

  it("stops when the context's signal aborts", async () => {
    const { fake, controller } = await started();
    controller.abort();
    await fake.waitFor(() => fake.gateway.openSockets() === 0, "the socket to close", 2_000);
  });

  it("does not leave a session behind when stopped while waiting to reconnect", async () => {
    const { fake, adapter, statuses } = await started();
    const mark = statuses.length;
    fake.dropConnection();
    await h!.waitForStatus("reconnecting", mark);
    await adapter.stop();
    await pause(900); // discord.js waits 500 ms before reconnecting
    expect(fake.gateway.resumes).toHaveLength(0);
    expect(fake.gateway.identifies).toHaveLength(1);
    expect(fake.gateway.openSockets()).toBe(0);
  });

  it("lets a start() that is still connecting end quietly when stopped, and stops retrying", async () => {
    const gw = await blackhole();
    h = await startHarness({ gatewayUrl: gw.url });
    const starting = h.start();
    await h.fake.waitFor(() => gw.attempts() >= 2, "two gateway attempts");
    const t0 = Date.now();
    await h.adapter.stop();
    await expect(starting).resolves.toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(1_500);
    expect(h.statuses.map((s) => s.state)).not.toContain("offline");
    const attempts = gw.attempts();
    await pause(800); // discord.js retries every ~500 ms
    expect(gw.attempts()).toBe(attempts);
  });

  it("can be started again after stop (as the supervisor does)", async () => {
    const { fake, adapter, received } = await started();
    await adapter.stop();
    await h!.start();
    expect(fake.gateway.identifies).toHaveLength(2);
    fake.dm("second life");
    await h!.waitForMessages(1);
    expect(received[0]!.text).toBe("second life");
  });
});
