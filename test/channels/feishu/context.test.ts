// Feishu replies: the event names the replied-to message only by parent_id,
// so the adapter reads it from the (fake) open platform, bounded in time.
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/core/logger.ts";
import { fetchParent } from "../../../channels/feishu/parent.ts";
import type { FeishuRest } from "../../../channels/feishu/rest.ts";
import { openIdFor, p2pChatIdFor } from "../../fakes/lark/server.ts";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const GROUP = "oc_group000000000000000000000042";

describe("feishu: what a message replies to", () => {
  it("fetches the replied-to text: the bot's own message, or someone's in the group", async () => {
    h = await startHarness();
    await h.start();
    const { messageId: botMsg } = await h.adapter.send(p2pChatIdFor("alice"), { text: "Shall I book the room?", format: "plain" });
    h.lark.userSays("alice", "yes please", { parentId: botMsg, rootId: botMsg });
    const first = h.lark.groupSays("carol", GROUP, "lunch at noon?", { others: [{ user: "dave", name: "Dave" }] });
    h.lark.deliver(h.lark.event({ senderOpenId: openIdFor("bob"), chatId: GROUP, chatType: "group", messageType: "text", content: { text: "count me in" }, parentId: first.messageId }));
    const got = await h.waitForMessages(3);
    const a = got.find((m) => m.text === "yes please");
    const c = got.find((m) => m.text === "count me in");
    expect(a!.replyTo).toEqual({ text: "Shall I book the room?", fromBot: true });
    // the mention keys of the fetched message are named as in a received one
    expect(c!.replyTo).toEqual({ text: "@Dave lunch at noon?" });
    expect(h.lark.requests.filter((r) => r.method === "GET" && r.path === `/open-apis/im/v1/messages/${first.messageId}`)).toHaveLength(1);
  });

  it("a reply whose parent cannot be read still arrives, without the quote", async () => {
    h = await startHarness();
    await h.start();
    h.lark.userSays("alice", "about that", { parentId: "om_gone_forever" });
    const [msg] = await h.waitForMessages(1);
    expect(msg!.text).toBe("about that");
    expect(msg!.replyTo).toBeUndefined();
  });

  it("gives up waiting for the parent after its time bound", async () => {
    const never = { call: () => new Promise<never>(() => undefined) } as unknown as FeishuRest;
    const got = await fetchParent("om_slow", { rest: never, appId: "cli_x", botOpenId: undefined, sentByBot: () => false, log: silentLogger(), timeoutMs: 20 });
    expect(got).toBeUndefined();
  });
});
