// A streamed reply on Feishu against the fake Lark: edits go through
// PUT /open-apis/im/v1/messages/{id}, stop before Feishu's 20-edit cap (the
// final text still gets its edit), and when Feishu refuses an edit anyway
// (230072) the answer is sent as a new message and the partial one recalled.
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/logger.ts";
import { LiveReplies } from "../../src/gateway/live-replies.ts";
import { deliverFinal as deliverFinalTo, memoryKv } from "./live-reply-helpers.ts";
import { p2pChatIdFor } from "../fakes/lark/server.ts";
import { startHarness, type Harness } from "../channels/feishu/harness.ts";
import { until } from "../channels/telegram/harness.ts";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const ALICE = p2pChatIdFor("alice");

async function setup() {
  h = await startHarness();
  await h.start();
  const replies = new LiveReplies({
    kv: memoryKv(),
    adapter: () => h.adapter,
    mode: () => "edit",
    logger: silentLogger(),
  });
  return replies;
}

const deliverFinal = (replies: LiveReplies, turnId: string, text: string) => deliverFinalTo(replies, h.adapter, ALICE, turnId, text);

const shown = () => h.lark.sent.filter((m) => !h.lark.recalled.has(m.messageId));

describe("live reply: streaming by edit on Feishu", () => {
  it("grows one message by edits and ends with the final text", async () => {
    const replies = await setup();
    const live = (await replies.start("inbox:1", { channel: "feishu", chatId: ALICE }))!;
    live.push("The first part");
    await until(() => h.lark.sent[0], 5000, "the first message");
    live.push(" and the second part");
    await until(() => h.lark.editBook.edits[0], 5000, "an edit");
    await deliverFinal(replies, "inbox:1", "The first part and the second part, complete.");
    expect(shown().map((m) => m.text)).toEqual(["The first part and the second part, complete."]);
    const edits = h.lark.editBook.edits;
    for (let i = 1; i < edits.length; i++) expect(edits[i]!.at - edits[i - 1]!.at).toBeGreaterThanOrEqual(1400);
  });

  it("when Feishu refuses the edit (its edit cap), the answer is sent anew and the partial message recalled", async () => {
    const replies = await setup();
    const live = (await replies.start("inbox:2", { channel: "feishu", chatId: ALICE }))!;
    live.push("A partial answ");
    await until(() => h.lark.sent[0], 5000, "the first message");
    h.lark.editBook.maxEdits = 0; // as if the message had been edited 20 times already
    await deliverFinal(replies, "inbox:2", "The whole answer.");
    expect(shown().map((m) => m.text)).toEqual(["The whole answer."]);
    expect(h.lark.recalled.has(h.lark.sent[0]!.messageId)).toBe(true);
  });
});
