// The contract harness itself, with the adapter wired the way the gateway
// wires it (config from the harness, allow_from entries matching senderId,
// replies to the message's chat).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { createWhatsAppAdapter } from "../../../channels/whatsapp/adapter.ts";
import type { InboundMessage } from "../../../src/core/channel.ts";
import { silentLogger } from "../../../src/core/logger.ts";
import { AllowList } from "../../../src/gateway/access.ts";
import { jidFor, phoneFor, startHarness } from "./contract-harness.ts";
import { waitUntil } from "./harness.ts";

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

it("gives each user a stable phone number", () => {
  expect(phoneFor("alice")).toMatch(/^49\d{10}$/);
  expect(phoneFor("alice")).toBe(phoneFor("alice"));
  expect(phoneFor("alice")).not.toBe(phoneFor("bob"));
});

it("lets the contract suite talk to the WhatsApp adapter through the fake bridge", async () => {
  const h = await startHarness();
  const home = mkdtempSync(join(tmpdir(), "sb-wa-contract-"));
  const cfg = h.config();
  expect(cfg).toMatchObject({ enabled: true, bridge_url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+$/) });
  const adapter = createWhatsAppAdapter(cfg, { logger: silentLogger(), stateDir: home, initialBackoffMs: 20 });
  const allow = new AllowList([h.allowEntry("alice")]);
  const got: InboundMessage[] = [];
  const controller = new AbortController();
  cleanup = async () => {
    controller.abort();
    await adapter.stop();
    await h.close();
    rmSync(home, { recursive: true, force: true });
  };
  await adapter.start({
    signal: controller.signal,
    emit: async (msg) => {
      got.push(msg);
      if (allow.allows(msg)) await adapter.send(msg.chatId, { text: `echo: ${msg.text}`, format: "markdown" });
    },
    setStatus: () => undefined,
  });

  await h.userSays("alice", "hello");
  await h.userSays("bob", "let me in");
  await waitUntil(() => h.sentTo("alice").length === 1 && got.length === 2, "a reply to alice and bob's message");
  expect(got.map((m) => [m.senderId, m.text])).toEqual([
    [jidFor("alice"), "hello"],
    [jidFor("bob"), "let me in"],
  ]);
  expect(h.sentTo("bob")).toEqual([]);

  await h.dropConnection();
  await h.userSays("alice", "after the drop");
  await waitUntil(() => h.sentTo("alice").length === 2, "a reply after the drop", 10_000);
  expect(h.sentTo("alice")).toEqual(["echo: hello", "echo: after the drop"]);
});
