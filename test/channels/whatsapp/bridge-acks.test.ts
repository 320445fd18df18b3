// Bridge mode with a bridge that keeps messages until they are acknowledged
// (status `"acks": true`, bridge-protocol.ts): each message is acknowledged
// only once the gateway stored it, what was not acknowledged comes again on
// the next connection (and is handed over once), what people wrote while no
// gateway was connected arrives on connect, and a bridge that did not opt in
// never sees an ack frame.
import { afterEach, describe, expect, it } from "vitest";
import { createWhatsAppAdapter } from "../../../channels/whatsapp/adapter.ts";
import type { InboundMessage } from "../../../src/core/channel.ts";
import { FakeBridge } from "../../fakes/whatsapp/bridge.ts";
import { pause, recordingLogger, startBridgeHarness, waitUntil, type BridgeHarness } from "./harness.ts";

let h: BridgeHarness | undefined;
let bridge: FakeBridge | undefined;
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const c of cleanups.splice(0)) await c();
  await bridge?.close();
  bridge = undefined;
});

/** an adapter on `bridge` whose emit runs `store` before the message counts as stored */
async function adapterOn(b: FakeBridge, store: (m: InboundMessage) => Promise<void>): Promise<InboundMessage[]> {
  const stored: InboundMessage[] = [];
  const controller = new AbortController();
  const adapter = createWhatsAppAdapter({ enabled: true, bridge_url: b.url }, { stateDir: "", logger: recordingLogger().logger, initialBackoffMs: 20, maxBackoffMs: 100, random: () => 0.5 });
  await adapter.start({
    signal: controller.signal,
    emit: async (m) => {
      await store(m);
      stored.push(m);
    },
    setStatus: () => undefined,
  });
  cleanups.push(async () => {
    controller.abort();
    await adapter.stop();
  });
  return stored;
}

describe("WhatsApp bridge acknowledgements", () => {
  it("acknowledges a message only after the gateway stored it", async () => {
    bridge = await FakeBridge.start({ acks: true });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const stored = await adapterOn(bridge, () => gate);
    bridge.userSays({ from: "4915112345678", text: "hello", id: "A1" });
    await waitUntil(() => bridge!.unacknowledged === 1, "the message kept by the bridge");
    await pause(150);
    expect(bridge.acked).toEqual([]);
    release();
    await bridge.waitFor(() => bridge!.acked.length === 1, "the ack");
    expect(bridge.acked).toEqual(["A1"]);
    expect(stored.map((m) => m.text)).toEqual(["hello"]);
    expect(bridge.unacknowledged).toBe(0);
  });

  it("gets a message the gateway could not store again on the next connection, and hands it over once", async () => {
    bridge = await FakeBridge.start({ acks: true });
    let refuse = true;
    const stored = await adapterOn(bridge, async (m) => {
      if (refuse && m.text === "disk was full") throw new Error("SQLITE_FULL: database or disk is full");
    });
    bridge.userSays({ from: "4915112345678", text: "kept", id: "K1" });
    bridge.userSays({ from: "4915112345678", text: "disk was full", id: "F1" });
    await bridge.waitFor(() => bridge!.acked.includes("K1"), "the first ack");
    await pause(150);
    expect(bridge.acked).toEqual(["K1"]);
    refuse = false;
    bridge.dropConnections();
    await bridge.waitFor(() => bridge!.acked.includes("F1"), "the replayed message acknowledged", 10_000);
    expect(bridge.replayed).toBe(1);
    expect(stored.map((m) => m.text)).toEqual(["kept", "disk was full"]);
  });

  it("delivers what people wrote while no gateway was connected", async () => {
    bridge = await FakeBridge.start({ acks: true });
    bridge.userSays({ from: "4915112345678", text: "anyone there?", id: "W1" });
    bridge.userSays({ from: "4915112345679", text: "hello?", id: "W2" });
    const stored = await adapterOn(bridge, async () => undefined);
    await bridge.waitFor(() => bridge!.acked.length === 2, "both acknowledged");
    expect(stored.map((m) => m.text)).toEqual(["anyone there?", "hello?"]);
  });

  it("sends no ack frames to a bridge that did not ask for them", async () => {
    h = await startBridgeHarness();
    await h.start();
    h.bridge.userSays({ from: "4915112345678", text: "plain bridge", id: "P1" });
    await h.waitForMessages(1);
    await pause(150);
    expect(h.bridge.acked).toEqual([]);
    expect(h.bridge.invalid).toEqual([]);
  });
});
