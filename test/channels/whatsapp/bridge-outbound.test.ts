// Bridge mode, outbound: send() writes one protocol frame per chunk, in
// WhatsApp's markup, to the chat the gateway names; failures are classified
// for the outbox.
import { afterEach, describe, expect, it } from "vitest";
import { ChannelError } from "../../../src/core/channel.ts";
import { BRIDGE_CAPABILITIES } from "../../../channels/whatsapp/adapter.ts";
import { startBridgeHarness, runAdapter, type BridgeHarness } from "./harness.ts";

let h: BridgeHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function started(...args: Parameters<typeof startBridgeHarness>): Promise<BridgeHarness> {
  h = await startBridgeHarness(...args);
  await h.start();
  return h;
}

const ALICE = "4915112345678@s.whatsapp.net";
const GROUP = "120363025246125486@g.us";

describe("WhatsApp bridge: send", () => {
  it("writes a message frame to the chat and returns a message id", async () => {
    const { bridge, adapter } = await started();
    const a = await adapter.send(ALICE, { text: "hello Alice", format: "plain" });
    const b = await adapter.send(GROUP, { text: "hello group", format: "plain" });
    await bridge.waitForSent(2);
    expect(bridge.sent).toEqual([
      { type: "message", to: ALICE, content: "hello Alice" },
      { type: "message", to: GROUP, content: "hello group" },
    ]);
    expect(a.messageId).toMatch(/\S+/);
    expect(a.messageId).not.toBe(b.messageId);
    expect(bridge.invalid).toEqual([]);
  });

  it("answers a bare phone number at its JID and an @c.us chat as the bridge named it", async () => {
    const { bridge, adapter } = await started();
    await adapter.send("+49 151 12345678", { text: "by number", format: "plain" });
    await adapter.send("4915112345678@c.us", { text: "c.us", format: "plain" });
    await bridge.waitForSent(2);
    expect(bridge.sent.map((f) => f.to)).toEqual([ALICE, "4915112345678@c.us"]);
  });

  it("turns markdown into WhatsApp markup", async () => {
    const { bridge, adapter } = await started();
    await adapter.send(ALICE, { text: "# Plan\n**bold**, *italic*, ~~gone~~ and [docs](https://x.test/d)\n* item", format: "markdown" });
    await bridge.waitForSent(1);
    expect(bridge.sent[0]!.content).toBe("*Plan*\n*bold*, _italic_, ~gone~ and docs (https://x.test/d)\n- item");
  });

  it("cuts a chunk over 4096 characters and says so in the log", async () => {
    const { bridge, adapter } = await started();
    await adapter.send(ALICE, { text: "x".repeat(5000), format: "plain" });
    await bridge.waitForSent(1);
    expect(bridge.sent[0]!.content).toHaveLength(BRIDGE_CAPABILITIES.maxTextLength);
    expect(h!.rec.logged("was cut")).toHaveLength(1);
  });

  it("sends media in the frame's media list", async () => {
    const { bridge, adapter } = await started();
    const data = Buffer.from("PNG").toString("base64");
    await adapter.send(ALICE, { text: "a chart", format: "plain", media: { kind: "image", mimeType: "image/png", data, filename: "chart.png" } });
    await bridge.waitForSent(1);
    expect(bridge.sent[0]).toEqual({
      type: "message",
      to: ALICE,
      content: "a chart",
      media: [{ type: "image", mimetype: "image/png", data, filename: "chart.png" }],
    });
  });

  it("refuses what can never be delivered as permanent", async () => {
    const { bridge, adapter } = await started();
    await expect(adapter.send("not a chat", { text: "x", format: "plain" })).rejects.toMatchObject({ code: "permanent" });
    await expect(adapter.send("not a chat", { text: "x", format: "plain" })).rejects.toThrow(/not a WhatsApp chat.*phone number with country code/);
    await expect(adapter.send(ALICE, { text: "  ", format: "plain" })).rejects.toMatchObject({ code: "permanent" });
    expect(bridge.sent).toEqual([]);
  });

  it("fails with a retryable error while the bridge is away, and sends again once reconnected", async () => {
    const { bridge, adapter } = await started({}, { initialBackoffMs: 150 });
    const mark = h!.statuses.length;
    bridge.dropConnections();
    await h!.waitForStatus("reconnecting", mark);
    const err = await adapter.send(ALICE, { text: "during the drop", format: "plain" }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toMatchObject({ code: "permanent" });
    expect(err!.message).toMatch(/not connected.*will be retried/);
    await h!.waitForStatus("online", mark);
    await adapter.send(ALICE, { text: "after the drop", format: "plain" });
    await bridge.waitForSent(1);
    expect(bridge.sentTo(ALICE)).toEqual(["after the drop"]);
  });

  it("says the channel is not running when send() comes before start()", async () => {
    const run = runAdapter({ bridge_url: "ws://127.0.0.1:9" });
    await expect(run.adapter.send(ALICE, { text: "x", format: "plain" })).rejects.toThrow(/not running/);
    await run.close();
  });

  it("offers no typing indicator in bridge mode", async () => {
    const { adapter } = await started();
    expect(adapter.capabilities).toEqual({ maxTextLength: 4096, format: "markdown", typing: false, edit: false, voiceIn: true });
    expect(adapter.typing).toBeUndefined();
    expect(adapter.mode).toBe("bridge");
  });
});
