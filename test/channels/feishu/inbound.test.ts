// Messages arriving over the long connection, normalized for the gateway.
import { afterEach, describe, expect, it } from "vitest";
import { openIdFor, p2pChatIdFor } from "../../fakes/lark/server.ts";
import { pause, startHarness, type Harness } from "./harness.ts";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const PNG = Buffer.concat([Buffer.from([0x89]), Buffer.from("PNG\r\n\x1a\n"), Buffer.alloc(32, 7)]);
const OGG = Buffer.concat([Buffer.from("OggS"), Buffer.alloc(60, 1)]);
const GROUP = "oc_group000000000000000000000001";

async function started(): Promise<Harness> {
  h = await startHarness();
  await h.start();
  return h;
}

describe("feishu inbound", () => {
  it("turns a direct text message into an InboundMessage", async () => {
    await started();
    const ev = h.lark.userSays("alice", "hello bot", { createTime: 1767225600123 });
    const [msg] = await h.waitForMessages(1);
    expect(msg).toEqual({
      channel: "feishu",
      accountId: h.lark.appId,
      chatId: p2pChatIdFor("alice"),
      chatType: "direct",
      messageId: ev.messageId,
      senderId: openIdFor("alice"),
      text: "hello bot",
      sentAt: 1767225600123,
    });
  });

  it("marks group messages that @-mention the bot, removing the mention and naming other people", async () => {
    await started();
    h.lark.groupSays("bob", GROUP, "what do you think of", { mentionBot: true, others: [{ user: "carol", name: "Carol" }] });
    h.lark.groupSays("bob", GROUP, "just chatting with @_user_1", { others: [{ user: "carol", name: "Carol" }] });
    const [a, b] = await h.waitForMessages(2);
    expect(a).toMatchObject({ chatId: GROUP, chatType: "group", senderId: openIdFor("bob"), mentioned: true, text: "@Carol what do you think of" });
    expect(b).toMatchObject({ chatType: "group", mentioned: false });
    expect(b!.text).toBe("@Carol just chatting with @Carol");
  });

  it("flattens rich text (post) into lines, keeps links and attaches its images", async () => {
    await started();
    const post = {
      title: "Weekly notes",
      content: [
        [
          { tag: "at", user_id: "@_user_1", user_name: "Bot" },
          { tag: "text", text: " see " },
          { tag: "a", href: "https://example.com/doc", text: "the doc" },
        ],
        [{ tag: "img", image_key: "img_v2_post" }],
        [{ tag: "code_block", language: "PYTHON", text: "print(1)" }],
        [{ tag: "text", text: "done " }, { tag: "emotion", emoji_type: "SMILE" }],
      ],
    };
    const ev = h.lark.event({
      senderOpenId: openIdFor("dave"),
      chatId: GROUP,
      chatType: "group",
      messageType: "post",
      content: post,
      mentions: [{ openId: h.lark.botOpenId, name: "Bot" }],
    });
    h.lark.addResource(ev.messageId, "img_v2_post", { data: PNG, contentType: "image/png", type: "image" });
    h.lark.deliver(ev);
    const [msg] = await h.waitForMessages(1);
    expect(msg!.text).toBe("Weekly notes\nsee the doc (https://example.com/doc)\n\n```python\nprint(1)\n```\ndone :SMILE:");
    expect(msg!.mentioned).toBe(true);
    expect(msg!.media).toHaveLength(1);
    expect(msg!.media![0]!.kind).toBe("image");
    expect(await msg!.media![0]!.fetch!()).toEqual(PNG);
    expect(msg!.media![0]!.mimeType).toBe("image/png");
  });

  it("also reads a locale-wrapped post", async () => {
    await started();
    h.lark.deliver(
      h.lark.event({
        senderOpenId: openIdFor("alice"),
        chatId: p2pChatIdFor("alice"),
        chatType: "p2p",
        messageType: "post",
        content: { en_us: { title: "", content: [[{ tag: "text", text: "wrapped" }]] } },
      }),
    );
    expect((await h.waitForMessages(1))[0]!.text).toBe("wrapped");
  });

  it("attaches images and voice messages, downloaded only when asked for", async () => {
    await started();
    const img = h.lark.event({ senderOpenId: openIdFor("alice"), chatId: p2pChatIdFor("alice"), chatType: "p2p", messageType: "image", content: { image_key: "img_v2_abc" } });
    const voice = h.lark.event({ senderOpenId: openIdFor("alice"), chatId: p2pChatIdFor("alice"), chatType: "p2p", messageType: "audio", content: { file_key: "file_v2_voice", duration: 2300 } });
    h.lark.addResource(img.messageId, "img_v2_abc", { data: PNG, contentType: "application/octet-stream", type: "image" });
    h.lark.addResource(voice.messageId, "file_v2_voice", { data: OGG, contentType: "audio/ogg", type: "file" });
    h.lark.deliver(img);
    h.lark.deliver(voice);
    const [a, b] = await h.waitForMessages(2);
    const resourceCalls = () => h.lark.requests.filter((r) => r.path.includes("/resources/"));
    expect(resourceCalls()).toHaveLength(0);
    expect(a).toMatchObject({ text: "", media: [{ kind: "image" }] });
    expect(await a!.media![0]!.fetch!()).toEqual(PNG);
    expect(a!.media![0]!.mimeType).toBe("image/png");
    expect(b).toMatchObject({ text: "", media: [{ kind: "voice", mimeType: "audio/ogg" }] });
    expect(await b!.media![0]!.fetch!()).toEqual(OGG);
    expect(resourceCalls().map((r) => r.path)).toEqual([
      `/open-apis/im/v1/messages/${img.messageId}/resources/img_v2_abc?type=image`,
      `/open-apis/im/v1/messages/${voice.messageId}/resources/file_v2_voice?type=file`,
    ]);
  });

  it("rejects fetch() with Feishu's reason when the resource is gone, and refuses oversized files", async () => {
    h = await startHarness({ adapter: { maxMediaBytes: 16 } });
    await h.start();
    const gone = h.lark.event({ senderOpenId: openIdFor("alice"), chatId: p2pChatIdFor("alice"), chatType: "p2p", messageType: "image", content: { image_key: "img_missing" } });
    const big = h.lark.event({ senderOpenId: openIdFor("alice"), chatId: p2pChatIdFor("alice"), chatType: "p2p", messageType: "image", content: { image_key: "img_big" } });
    h.lark.addResource(big.messageId, "img_big", { data: PNG, contentType: "image/png", type: "image" });
    h.lark.deliver(gone);
    h.lark.deliver(big);
    const [a, b] = await h.waitForMessages(2);
    await expect(a!.media![0]!.fetch!()).rejects.toThrow(/code 234003/);
    await expect(b!.media![0]!.fetch!()).rejects.toThrow(/more than the 16 allowed/);
  });

  it("knows when a message answers one of the bot's", async () => {
    await started();
    const { messageId } = await h.adapter.send(p2pChatIdFor("alice"), { text: "a question?", format: "plain" });
    h.lark.userSays("alice", "an answer", { parentId: messageId, rootId: messageId });
    h.lark.userSays("alice", "unrelated", { parentId: "om_someone_elses" });
    const [a, b] = await h.waitForMessages(2);
    expect(a!.replyToBot).toBe(true);
    expect(b!.replyToBot).toBeUndefined();
  });

  it("carries the thread of a topic message", async () => {
    await started();
    h.lark.userSays("alice", "in a thread", { threadId: "omt_1a2b3c" });
    expect((await h.waitForMessages(1))[0]!.threadId).toBe("omt_1a2b3c");
  });

  it("emits a redelivered event (same event_id) once", async () => {
    await started();
    const ev = h.lark.userSays("alice", "once please");
    await h.waitForMessages(1);
    h.lark.deliver(ev);
    await h.lark.waitFor(() => h.lark.longConn.unacknowledged === 0 && h.lark.longConn.acks.length === 2, "both deliveries answered");
    await pause(50);
    expect(h.received.map((m) => m.text)).toEqual(["once please"]);
  });

  it("answers 500 when the gateway cannot store the message, so Feishu delivers it again", async () => {
    await started();
    h.failEmit = true;
    h.lark.userSays("alice", "retry me");
    await h.lark.waitFor(() => h.lark.longConn.acks.some((a) => a.code === 500), "a failed answer");
    h.failEmit = false;
    await h.waitForMessages(1);
    await h.lark.waitFor(() => h.lark.longConn.unacknowledged === 0, "the redelivery answered with 200");
    expect(h.received.map((m) => m.text)).toEqual(["retry me"]);
  });

  it("reassembles an event split over several frames", async () => {
    await started();
    const ev = h.lark.event({ senderOpenId: openIdFor("alice"), chatId: p2pChatIdFor("alice"), chatType: "p2p", messageType: "text", content: { text: "x".repeat(3000) } });
    h.lark.deliver(ev, 4);
    expect((await h.waitForMessages(1))[0]!.text).toBe("x".repeat(3000));
  });

  it("acknowledges and skips what it cannot use, and keeps going", async () => {
    await started();
    h.lark.deliver(h.lark.event({ senderOpenId: openIdFor("alice"), chatId: p2pChatIdFor("alice"), chatType: "p2p", messageType: "sticker", content: { file_key: "s" } }));
    const broken = h.lark.event({ senderOpenId: openIdFor("alice"), chatId: p2pChatIdFor("alice"), chatType: "p2p", messageType: "text", content: "{not json" });
    h.lark.deliver(broken);
    const noChat = h.lark.event({ senderOpenId: openIdFor("alice"), chatId: p2pChatIdFor("alice"), chatType: "p2p", messageType: "text", content: { text: "x" } });
    delete ((noChat.envelope.event as Record<string, unknown>).message as Record<string, unknown>).chat_id;
    h.lark.deliver(noChat);
    h.lark.deliver(h.lark.event({ senderOpenId: h.lark.botOpenId, chatId: GROUP, chatType: "group", messageType: "text", content: { text: "my own" } }));
    h.lark.sendRawFrame(Buffer.from([0xff, 0xff, 0xff]));
    h.lark.userSays("alice", "still here");
    const [msg] = await h.waitForMessages(1);
    expect(msg!.text).toBe("still here");
    await h.lark.waitFor(() => h.lark.longConn.unacknowledged === 0, "every event answered");
    expect(h.lark.longConn.acks.every((a) => a.code === 200)).toBe(true);
    expect(h.received).toHaveLength(1);
  });
});
