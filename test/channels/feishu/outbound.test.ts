// Sending chunks: message and reply shapes, and Feishu's failures mapped to
// the contract's errors.
import { afterEach, describe, expect, it } from "vitest";
import { ChannelError } from "../../../src/core/channel.ts";
import { openIdFor, p2pChatIdFor } from "../../fakes/lark/server.ts";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const ALICE = p2pChatIdFor("alice");
const GROUP = "oc_group000000000000000000000002";

async function started(): Promise<Harness> {
  h = await startHarness();
  await h.start();
  return h;
}

const sendReqs = () => h.lark.requests.filter((r) => r.path.startsWith("/open-apis/im/v1/messages") && !r.path.includes("/resources/"));

describe("feishu send", () => {
  it("sends markdown as rich text to the chat id and returns Feishu's message id", async () => {
    await started();
    const res = await h.adapter.send(ALICE, { text: "## Plan\n**step one**", format: "markdown" });
    const sent = h.lark.sent[0]!;
    expect(res.messageId).toBe(sent.messageId);
    expect(res.messageId).toMatch(/^om_/);
    expect(sent).toMatchObject({ chatId: ALICE, receiveId: ALICE, receiveIdType: "chat_id", msgType: "post" });
    expect(sent.content).toEqual({ zh_cn: { content: [[{ tag: "md", text: "**Plan**\n**step one**" }]] } });
    expect(sendReqs()[0]!.authorization).toBe(`Bearer ${h.lark.tokens.at(-1)}`);
  });

  it("sends plain chunks as text", async () => {
    await started();
    await h.adapter.send(ALICE, { text: "plain words", format: "plain" });
    expect(h.lark.sent[0]).toMatchObject({ msgType: "text", content: { text: "plain words" } });
  });

  it("replies under the user's message when replyTo is given (in its thread when there is one)", async () => {
    await started();
    const ev = h.lark.groupSays("bob", GROUP, "question", { mentionBot: true });
    await h.waitForMessages(1);
    await h.adapter.send(GROUP, { text: "answer", format: "markdown", replyTo: ev.messageId });
    await h.adapter.send(GROUP, { text: "threaded", format: "plain", replyTo: ev.messageId, threadId: "omt_1" });
    expect(sendReqs().map((r) => r.path)).toEqual([`/open-apis/im/v1/messages/${ev.messageId}/reply`, `/open-apis/im/v1/messages/${ev.messageId}/reply`]);
    expect(h.lark.sent[0]).toMatchObject({ chatId: GROUP, replyTo: ev.messageId, msgType: "post" });
    expect(h.lark.sent[0]!.replyInThread).toBeUndefined();
    expect(h.lark.sent[1]).toMatchObject({ replyTo: ev.messageId, replyInThread: true, text: "threaded" });
  });

  it("sends to the chat instead when the message being answered was recalled or deleted", async () => {
    await started();
    const ev = h.lark.groupSays("bob", GROUP, "oops", { mentionBot: true });
    h.lark.recalled.add(ev.messageId);
    await h.adapter.send(GROUP, { text: "still answered", format: "plain", replyTo: ev.messageId });
    await h.adapter.send(GROUP, { text: "answered too", format: "plain", replyTo: "om_never_existed" });
    expect(h.lark.sent.map((m) => [m.chatId, m.replyTo, m.text])).toEqual([
      [GROUP, undefined, "still answered"],
      [GROUP, undefined, "answered too"],
    ]);
  });

  it("addresses users by open_id when the chat id is one", async () => {
    await started();
    h.lark.userSays("alice", "hi");
    await h.waitForMessages(1);
    await h.adapter.send(openIdFor("alice"), { text: "to your open_id", format: "plain" });
    expect(h.lark.sent[0]).toMatchObject({ receiveIdType: "open_id", chatId: ALICE });
  });

  it("sends a rich-text chunk Feishu refuses once more as plain text", async () => {
    await started();
    h.lark.failNextSend({ status: 400, code: 230001, msg: "invalid post content", onlyPost: true });
    await h.adapter.send(ALICE, { text: "**looks** fine", format: "markdown" });
    expect(h.lark.sendRequests).toBe(2);
    expect(h.lark.sent.map((m) => [m.msgType, m.text])).toEqual([["text", "**looks** fine"]]);
  });

  it("refuses to send nothing", async () => {
    await started();
    await expect(h.adapter.send(ALICE, { text: "  ", format: "plain" })).rejects.toMatchObject({ code: "permanent" });
    expect(h.lark.sendRequests).toBe(0);
  });
});

describe("feishu send failures", () => {
  it("maps HTTP 429 to rate_limited with Feishu's reset time", async () => {
    await started();
    h.lark.failNextSend({ status: 429, code: 99991400, msg: "request trigger frequency limit", resetSeconds: 3 });
    const err = await h.adapter.send(ALICE, { text: "x", format: "plain" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "rate_limited" });
    expect((err as ChannelError).retryAfterMs).toBe(3000);
    expect((err as Error).message).toMatch(/rate limit/);
  });

  it("maps code 99991400 on HTTP 400 (older APIs) and 230020 (per-chat limit) to rate_limited", async () => {
    await started();
    h.lark.failNextSend({ status: 400, code: 99991400, resetSeconds: 2 });
    h.lark.failNextSend({ status: 400, code: 230020, msg: "This operation triggers the frequency limit." });
    const a = await h.adapter.send(ALICE, { text: "x", format: "plain" }).catch((e: unknown) => e);
    const b = await h.adapter.send(ALICE, { text: "x", format: "plain", replyTo: "om_x" }).catch((e: unknown) => e);
    expect(a).toMatchObject({ code: "rate_limited" });
    expect((a as ChannelError).retryAfterMs).toBe(2000);
    expect(b).toMatchObject({ code: "rate_limited" });
    expect((b as ChannelError).retryAfterMs).toBeGreaterThan(0);
  });

  it("maps refusals a retry cannot fix to permanent with the fix", async () => {
    await started();
    h.lark.failNextSend({ status: 400, code: 230002, msg: "The bot can not be outside the group." });
    h.lark.failNextSend({ status: 400, code: 230027, msg: "Lack of necessary permissions." });
    h.lark.failNextSend({ status: 400, code: 230013, msg: "Bot has NO availability to this user." });
    const errs = [];
    for (let i = 0; i < 3; i++) errs.push(await h.adapter.send(GROUP, { text: "x", format: "plain" }).catch((e: unknown) => e));
    for (const e of errs) expect(e).toMatchObject({ code: "permanent" });
    expect((errs[0] as Error).message).toMatch(/code 230002.*not a member of that group/);
    expect((errs[1] as Error).message).toMatch(/im:message:send_as_bot/);
    expect((errs[2] as Error).message).toMatch(/availability range/);
  });

  it("leaves server trouble to the outbox's retries (a plain Error)", async () => {
    await started();
    h.lark.failNextSend({ status: 500, code: 1000040343, msg: "internal error" });
    const err = await h.adapter.send(ALICE, { text: "x", format: "plain" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toMatchObject({ code: "permanent" });
    expect(err).not.toMatchObject({ code: "rate_limited" });
    expect((err as Error).message).toMatch(/HTTP 500, code 1000040343/);
  });

  it("explains an unreachable platform without leaking the token", async () => {
    await started();
    await h.lark.close();
    const err = (await h.adapter.send(ALICE, { text: "x", format: "plain" }).catch((e: unknown) => e)) as Error;
    expect(err).not.toMatchObject({ code: "permanent" });
    expect(err.message).toMatch(/could not send a message.*channels\.feishu\.api_base/);
    for (const t of h.lark.tokens) expect(err.message).not.toContain(t);
  });
});
