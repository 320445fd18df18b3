// The fake bridge itself: it must speak the protocol the adapter is tested
// against, or the adapter tests prove nothing.
import { afterEach, expect, it } from "vitest";
import { WebSocket } from "ws";
import { FakeBridge } from "./bridge.ts";

let bridge: FakeBridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

async function client(url: string): Promise<{ ws: WebSocket; frames: unknown[] }> {
  const ws = new WebSocket(url);
  const frames: unknown[] = [];
  ws.on("message", (d) => frames.push(JSON.parse(d.toString())));
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return { ws, frames };
}

it("pushes inbound frames, records valid outbound frames and keeps invalid ones apart", async () => {
  bridge = await FakeBridge.start();
  const { ws, frames } = await client(bridge.url);
  await bridge.waitForConnections(1);
  const pushed = bridge.userSays({ from: "+4915112345678", text: "hi", fromName: "Alice" });
  await new Promise((r) => setTimeout(r, 50));
  expect(frames).toEqual([pushed]);
  expect(pushed).toMatchObject({ type: "message", from: "4915112345678@s.whatsapp.net", chat: "4915112345678@s.whatsapp.net", content: "hi", from_name: "Alice" });

  ws.send(JSON.stringify({ type: "message", to: "4915112345678@s.whatsapp.net", content: "hello" }));
  ws.send(JSON.stringify({ type: "message", content: "no recipient" }));
  await bridge.waitForSent(1);
  await bridge.waitFor(() => bridge!.invalid.length === 1, "the invalid frame");
  expect(bridge.sentTo("+4915112345678")).toEqual(["hello"]);
  ws.close();
});

it("drops connections, refuses new ones on demand and counts them", async () => {
  bridge = await FakeBridge.start();
  const first = await client(bridge.url);
  await bridge.waitForConnections(1);
  const closed = new Promise<number>((r) => first.ws.once("close", (code) => r(code)));
  bridge.dropConnections();
  expect(await closed).toBe(1006);
  bridge.refuse = 1;
  const refused = await client(bridge.url);
  const code = await new Promise<number>((r) => refused.ws.once("close", (c) => r(c)));
  expect(code).toBe(1013);
  expect(bridge.connections).toBe(1);
  await expect(bridge.waitForSent(1, 50)).rejects.toThrow(/timed out waiting for 1 sent frame/);
});
