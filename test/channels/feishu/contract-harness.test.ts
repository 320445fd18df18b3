// The contract harness itself, with the adapter wired the way the gateway
// wires it (config from the harness, allow_from entries matching senderId,
// replies without replyTo in direct chats).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { createFeishuAdapter } from "../../../channels/feishu/adapter.ts";
import type { InboundMessage } from "../../../src/core/channel.ts";
import { silentLogger } from "../../../src/core/logger.ts";
import { AllowList } from "../../../src/gateway/access.ts";
import { openIdFor, startHarness } from "./contract-harness.ts";

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

it("lets the contract suite talk to the Feishu adapter through the fake", async () => {
  const h = await startHarness();
  const home = mkdtempSync(join(tmpdir(), "sb-feishu-contract-"));
  const cfg = h.config();
  expect(cfg).toMatchObject({ enabled: true, app_id: expect.stringMatching(/^cli_/), app_secret: expect.any(String), api_base: expect.any(String) });
  expect(h.channel).toBe("feishu");
  const adapter = createFeishuAdapter(cfg, { logger: silentLogger(), stateDir: home });
  const allow = new AllowList([h.allowEntry("alice")]);
  const got: InboundMessage[] = [];
  const controller = new AbortController();
  cleanup = async () => {
    controller.abort();
    await adapter.stop();
    await h.close();
    rmSync(home, { recursive: true, force: true });
  };
  // a message sent before the bot is connected waits for it
  await h.userSays("alice", "early bird");
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
  await h.fake.waitFor(() => h.sentTo("alice").length === 2 && got.length === 3, "replies to alice and bob's message");
  expect(got.map((m) => [m.senderId, m.text])).toEqual([
    [openIdFor("alice"), "early bird"],
    [openIdFor("alice"), "hello"],
    [openIdFor("bob"), "let me in"],
  ]);
  expect(h.sentTo("bob")).toEqual([]);

  await h.dropConnection();
  await h.userSays("alice", "after the drop");
  await h.fake.waitFor(() => h.sentTo("alice").length === 3, "a reply after the drop", 10_000);
  expect(h.sentTo("alice")).toEqual(["echo: early bird", "echo: hello", "echo: after the drop"]);

  // chunks of a long reply arrive in order
  for (let i = 0; i < 5; i++) await adapter.send(got[0]!.chatId, { text: `part ${i}`, format: "markdown" });
  expect(h.sentTo("alice").slice(-5)).toEqual(["part 0", "part 1", "part 2", "part 3", "part 4"]);
});
