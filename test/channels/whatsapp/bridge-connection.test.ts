// Bridge mode, the connection: status changes, reconnects after drops with
// exponential backoff (time from a ManualClock), keepalive pings, a bridge
// that is not there, secrets in the URL, and stop().
import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Backoff } from "../../../src/core/backoff.ts";
import { ManualClock } from "../../../src/core/clock.ts";
import { pause, runAdapter, startBridgeHarness, waitUntil, type BridgeHarness, type Run } from "./harness.ts";

let h: BridgeHarness | undefined;
let run: Run | undefined;
let hole: Server | undefined;

afterEach(async () => {
  await h?.close();
  await run?.close();
  h = undefined;
  run = undefined;
  await new Promise<void>((r) => (hole ? hole.close(() => r()) : r()));
  hole = undefined;
});

async function started(...args: Parameters<typeof startBridgeHarness>): Promise<BridgeHarness> {
  h = await startBridgeHarness(...args);
  await h.start();
  return h;
}

/** a TCP server that accepts and hangs up at once, counting the attempts */
async function blackhole(): Promise<{ url: string; attempts: () => number }> {
  let n = 0;
  hole = createServer((socket) => {
    n++;
    socket.destroy();
  });
  await new Promise<void>((r) => hole!.listen(0, "127.0.0.1", r));
  return { url: `ws://127.0.0.1:${(hole.address() as AddressInfo).port}`, attempts: () => n };
}

const ALICE = "4915112345678@s.whatsapp.net";

describe("WhatsApp bridge connection", () => {
  it("reports connecting, then online once the bridge accepted; start() waits for it", async () => {
    const { bridge, statuses, adapter } = await started();
    expect(bridge.connections).toBe(1);
    expect(adapter.connected).toBe(true);
    expect(statuses).toEqual([{ state: "connecting" }, { state: "online" }]);
  });

  it("reconnects after the bridge drops the connection and receives again", async () => {
    const { bridge, adapter } = await started();
    const mark = h!.statuses.length;
    bridge.dropConnections();
    const lost = await h!.waitForStatus("reconnecting", mark);
    expect(lost.detail).toMatch(/connection to the WhatsApp bridge at ws:\/\/127\.0\.0\.1:\d+ failed|closed the connection \(code 1006/);
    expect(lost.detail).toMatch(/retrying in 20 ms$/);
    await h!.waitForStatus("online", mark);
    await bridge.waitForConnections(2);
    bridge.userSays({ from: ALICE, text: "after the drop", id: "A1" });
    const [msg] = await h!.waitForMessages(1);
    expect(msg!.text).toBe("after the drop");
    expect(adapter.connected).toBe(true);
  });

  it("says why the bridge closed (code and reason)", async () => {
    const { bridge } = await started();
    const mark = h!.statuses.length;
    bridge.closeConnections(1001, "bridge restarting");
    const s = await h!.waitForStatus("reconnecting", mark);
    expect(s.detail).toMatch(/closed the connection \(code 1001: bridge restarting\); retrying in/);
  });

  it("waits longer after each failed attempt (backoff doubles) and starts over after a stable connection", async () => {
    const clock = new ManualClock();
    const { bridge } = await started({}, { clock, initialBackoffMs: 100, maxBackoffMs: 10_000, stableAfterMs: 30_000 });
    bridge.refuse = 3;
    let mark = h!.statuses.length;
    bridge.dropConnections();
    const waits: string[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await h!.waitForStatus("reconnecting", mark);
      mark = h!.statuses.length;
      waits.push(/retrying in (.*)$/.exec(s.detail!)![1]!);
      const attempts = bridge.attempts;
      const wait = [100, 200, 400][i]!;
      clock.advance(wait - 1);
      await pause(40);
      expect(bridge.attempts).toBe(attempts); // not before the wait is over
      clock.advance(1);
      await bridge.waitFor(() => bridge.attempts === attempts + 1, `attempt ${attempts + 1}`);
    }
    expect(waits).toEqual(["100 ms", "200 ms", "400 ms"]);
    const s = await h!.waitForStatus("reconnecting", mark);
    expect(s.detail).toMatch(/retrying in 800 ms$/);
    mark = h!.statuses.length;
    clock.advance(800);
    await h!.waitForStatus("online", mark);
    await bridge.waitForConnections(2);
    // up for longer than stableAfterMs: the next drop waits the initial delay again
    clock.advance(30_000);
    mark = h!.statuses.length;
    bridge.dropConnections();
    const again = await h!.waitForStatus("reconnecting", mark);
    expect(again.detail).toMatch(/retrying in 100 ms$/);
  });

  it("adds ±20 % jitter to the waits and caps them", () => {
    const low = new Backoff({ initialMs: 1000, maxMs: 3000, random: () => 0 });
    const high = new Backoff({ initialMs: 1000, maxMs: 3000, random: () => 1 });
    expect([low.next(), low.next(), low.next()]).toEqual([800, 1600, 2400]);
    expect([high.next(), high.next(), high.next()]).toEqual([1200, 2400, 3600]);
  });

  it("reconnects when the bridge stops answering pings", async () => {
    const { bridge } = await started({ answerPings: false }, { pingIntervalMs: 40 });
    const s = await h!.waitForStatus("reconnecting", 0, 3_000);
    expect(s.detail).toMatch(/stopped answering pings/);
    await bridge.waitFor(() => bridge.connections >= 2, "a new connection");
  });

  it("keeps a connection whose pings are answered", async () => {
    const { bridge } = await started({}, { pingIntervalMs: 20 });
    await pause(200);
    expect(bridge.connections).toBe(1);
    expect(h!.statuses.map((s) => s.state)).toEqual(["connecting", "online"]);
  });

  it("fails start() with what to fix when no bridge answers, and stops trying", async () => {
    const hollow = await blackhole();
    run = runAdapter({ bridge_url: hollow.url }, { initialBackoffMs: 20, maxBackoffMs: 50, random: () => 0.5, readyTimeoutMs: 300 });
    const err = await run.start().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/could not connect to the WhatsApp bridge at ws:\/\/127\.0\.0\.1:\d+ within 300 ms \(last error: .*\): start the bridge, or fix channels\.whatsapp\.bridge_url/);
    expect(hollow.attempts()).toBeGreaterThan(1); // it retried meanwhile
    expect(run.statuses.at(-1)).toEqual({ state: "offline", detail: err!.message });
    expect(run.statuses.slice(1, -1).every((s) => s.state === "connecting" && /retrying in/.test(s.detail ?? ""))).toBe(true);
    // a connection dialled just before the give-up may still be accepted
    // afterwards on a loaded machine; once that has landed, no new one comes
    // (still retrying, the 50 ms backoff would dial several more in 400 ms)
    await pause(200);
    const attempts = hollow.attempts();
    await pause(400);
    expect(hollow.attempts()).toBe(attempts);
  });

  it("explains a refused connection (nothing listening)", async () => {
    const hollow = await blackhole();
    const url = hollow.url;
    await new Promise<void>((r) => hole!.close(() => r()));
    hole = undefined;
    run = runAdapter({ bridge_url: url }, { initialBackoffMs: 20, random: () => 0.5, readyTimeoutMs: 200 });
    await expect(run.start()).rejects.toThrow(/connection refused \(is the bridge running\?\)/);
  });

  it("never shows credentials in the bridge URL in statuses, errors or logs", async () => {
    const hollow = await blackhole();
    const secretUrl = hollow.url.replace("ws://", "ws://user:pa55word@") + "/ws?token=s3cr3t-t0ken";
    run = runAdapter({ bridge_url: secretUrl }, { initialBackoffMs: 20, random: () => 0.5, readyTimeoutMs: 200 });
    const err = await run.start().then(
      () => undefined,
      (e: Error) => e,
    );
    const everything = [err?.message ?? "", ...run.statuses.map((s) => s.detail ?? ""), ...run.rec.logs].join("\n");
    expect(everything).toContain("/ws");
    expect(everything).not.toContain("pa55word");
    expect(everything).not.toContain("s3cr3t-t0ken");
  });
});

describe("WhatsApp bridge stop()", () => {
  it("closes the connection, does not reconnect, and is idempotent", async () => {
    const { bridge, adapter } = await started();
    await Promise.all([adapter.stop(), adapter.stop()]);
    await bridge.waitFor(() => bridge.connected === 0, "the bridge to see the close");
    await adapter.stop();
    await pause(100);
    expect(bridge.connections).toBe(1);
    expect(adapter.connected).toBe(false);
    await expect(adapter.send(ALICE, { text: "x", format: "plain" })).rejects.toThrow(/not running/);
  });

  it("returns promptly while waiting to reconnect", async () => {
    const clock = new ManualClock(); // the backoff wait never ends on its own
    const { bridge, adapter } = await started({}, { clock });
    const mark = h!.statuses.length;
    bridge.dropConnections();
    await h!.waitForStatus("reconnecting", mark);
    await adapter.stop(); // would hang here if the wait were not cut short
    clock.advance(60_000);
    await pause(50);
    expect(bridge.attempts).toBe(1);
  });

  it("stops when the gateway aborts the run's signal, and starts again afterwards", async () => {
    const { bridge, adapter, controller } = await started();
    controller.abort();
    await bridge.waitFor(() => bridge.connected === 0, "the close after abort");
    const statuses: string[] = [];
    await adapter.start({ signal: new AbortController().signal, emit: async () => undefined, setStatus: (s) => statuses.push(s) });
    await bridge.waitForConnections(2);
    expect(statuses).toEqual(["connecting", "online"]);
    await adapter.stop();
  });

  it("a stop() during start() wins: start() returns and nothing stays connected", async () => {
    const hollow = await blackhole();
    run = runAdapter({ bridge_url: hollow.url }, { initialBackoffMs: 20, random: () => 0.5, readyTimeoutMs: 5_000 });
    const starting = run.start();
    await waitUntil(() => hollow.attempts() > 0, "a first attempt");
    await run.adapter.stop();
    await starting; // resolves, does not throw
    const attempts = hollow.attempts();
    await pause(100);
    expect(hollow.attempts()).toBe(attempts);
  });
});
