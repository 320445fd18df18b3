// Inbound: the real adapter (discord.js) receives MESSAGE_CREATE from the
// fake gateway and emits normalized InboundMessages.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ChannelTypes, Intents, VOICE_MESSAGE_FLAG, snowflake } from "../../fakes/discord/server.ts";
import { pause, startHarness, type Harness } from "./harness.ts";

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await h.start();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.received.length = 0;
});

/** dispatches, then waits for exactly one more emitted message */
async function one(dispatch: () => unknown) {
  dispatch();
  const [msg] = await h.waitForMessages(1);
  return msg!;
}

describe("Discord inbound", () => {
  it("identifies with the intents a DM + guild bot needs, and nothing privileged beyond Message Content", () => {
    const intents = h.fake.gateway.identifies[0]!.intents;
    for (const bit of [Intents.Guilds, Intents.GuildMessages, Intents.DirectMessages, Intents.MessageContent]) {
      expect(intents & bit).toBe(bit);
    }
    expect(intents & ((1 << 1) | (1 << 8))).toBe(0); // GuildMembers, GuildPresences
    expect(h.fake.gateway.connections[0]!.query).toEqual({ v: "10", encoding: "json" });
    expect(h.fake.unknownRoutes).toEqual([]);
  });

  it("emits a DM as a direct chat keyed by the DM channel id", async () => {
    const payload = h.fake.dm("hello there");
    const msg = await one(() => undefined);
    expect(msg).toEqual({
      channel: "discord",
      accountId: h.fake.bot.id,
      chatId: h.fake.dmChannelId(h.fake.alice),
      chatType: "direct",
      messageId: payload.id,
      senderId: h.fake.alice.id,
      senderUsername: "alice",
      senderName: "Alice A.",
      text: "hello there",
      replyToBot: false,
      sentAt: Date.parse(payload.timestamp),
    });
    expect(msg.threadId).toBeUndefined();
  });

  it("falls back to the username when the sender has no global name", async () => {
    const msg = await one(() => h.fake.dm("hi", { author: h.fake.bob }));
    expect(msg.senderName).toBe("bob");
    expect(msg.chatId).toBe(h.fake.dmChannelId(h.fake.bob));
  });

  it("still emits a guild message without a mention, marked mentioned=false (the gateway decides)", async () => {
    const msg = await one(() => h.fake.guildMessage("just chatting"));
    expect(msg).toMatchObject({ chatType: "group", chatId: h.fake.guild.channelId, text: "just chatting", mentioned: false, replyToBot: false });
    expect(msg.threadId).toBeUndefined();
  });

  it("strips the bot mention (<@id> and <@!id>) and sets mentioned", async () => {
    const a = await one(() => h.fake.guildMessage(`<@${h.fake.bot.id}> what is the weather?`));
    expect(a).toMatchObject({ text: "what is the weather?", mentioned: true });
    h.received.length = 0;
    const b = await one(() => h.fake.guildMessage(`hey <@!${h.fake.bot.id}>, ping`));
    expect(b).toMatchObject({ text: "hey , ping", mentioned: true });
  });

  it("counts a mention of the bot's managed role as a mention", async () => {
    const msg = await one(() => h.fake.guildMessage(`<@&${h.fake.guild.botRoleId}> summarize this`));
    expect(msg).toMatchObject({ text: "summarize this", mentioned: true });
  });

  it("turns other people's mentions into readable @names and keeps mentioned=false", async () => {
    const msg = await one(() => h.fake.guildMessage(`<@${h.fake.bob.id}> look at <#${h.fake.guild.channelId}>`));
    expect(msg).toMatchObject({ text: "@bob look at #general", mentioned: false });
  });

  it("sets replyToBot for a reply to one of the bot's messages, without counting the reply ping as a mention", async () => {
    await h.adapter.send(h.fake.guild.channelId, { text: "I am the bot", format: "markdown" });
    const botMsg = h.fake.sent.at(-1)!;
    const ref = { ...h.fake.guildMessage("placeholder"), id: botMsg.messageId, author: h.fake.botUserPayload() };
    await h.waitForMessages(1);
    h.received.length = 0;
    const msg = await one(() => h.fake.guildMessage("and why is that?", { referenced: ref }));
    expect(msg).toMatchObject({ text: "and why is that?", replyToBot: true, mentioned: false });
  });

  it("does not set replyToBot for a reply to someone else", async () => {
    const ref = h.fake.guildMessage("alice said this");
    await h.waitForMessages(1);
    h.received.length = 0;
    const msg = await one(() => h.fake.guildMessage("bob answers", { author: h.fake.bob, referenced: ref }));
    expect(msg.replyToBot).toBe(false);
  });

  it("uses the thread's own channel id as chatId and threadId", async () => {
    const msg = await one(() => h.fake.guildMessage("in a thread", { thread: true }));
    expect(msg).toMatchObject({ chatType: "group", chatId: h.fake.guild.threadId, threadId: h.fake.guild.threadId });
  });

  it("recognizes a thread it has never seen (no THREAD_CREATE) from the message's channel_type", async () => {
    const threadId = snowflake();
    const msg = await one(() =>
      h.fake.dispatchMessage({
        channelId: threadId,
        channelType: ChannelTypes.PublicThread,
        guildId: h.fake.guild.id,
        author: h.fake.alice,
        content: "new thread, who dis",
      }),
    );
    expect(msg).toMatchObject({ chatType: "group", chatId: threadId, threadId, text: "new thread, who dis" });
  });

  it("ignores the bot's own messages, other bots, webhooks, system messages and empty messages", async () => {
    await h.adapter.send(h.fake.dmChannelId(), { text: "echo of my own send", format: "plain" });
    h.fake.guildMessage("beep", { author: h.fake.otherBot });
    h.fake.guildMessage("from a webhook", { author: h.fake.bob, webhookId: "1234567890" });
    h.fake.guildMessage("", { type: 6 }); // pin notice
    h.fake.guildMessage("   ");
    h.fake.guildMessage("the marker");
    const [msg] = await h.waitForMessages(1);
    await pause(100);
    expect(h.received).toHaveLength(1);
    expect(msg!.text).toBe("the marker");
  });

  it("offers a voice message as kind voice whose fetch() returns the bytes", async () => {
    const ogg = Buffer.from("OggS\0fake-opus-voice-data-0123456789");
    const att = h.fake.addAttachment({ data: ogg, contentType: "audio/ogg", filename: "voice-message.ogg", durationSecs: 2.5 });
    const msg = await one(() => h.fake.dm("", { attachments: [att], flags: VOICE_MESSAGE_FLAG }));
    expect(msg.text).toBe("");
    expect(msg.media).toHaveLength(1);
    const m = msg.media![0]!;
    expect(m).toMatchObject({ kind: "voice", mimeType: "audio/ogg", filename: "voice-message.ogg", size: ogg.length });
    expect(Buffer.compare(await m.fetch!(), ogg)).toBe(0);
  });

  it("tells plain audio, images and other files apart", async () => {
    const mp3 = h.fake.addAttachment({ data: Buffer.from("ID3mp3"), contentType: "audio/mpeg", filename: "song.mp3" });
    const pngBytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    const png = h.fake.addAttachment({ data: pngBytes, contentType: "image/png", filename: "cat.png" });
    const pdf = h.fake.addAttachment({ data: Buffer.from("%PDF-1.7"), contentType: "application/pdf", filename: "doc.pdf" });
    const msg = await one(() => h.fake.guildMessage(`<@${h.fake.bot.id}> see these`, { attachments: [mp3, png, pdf] }));
    expect(msg.text).toBe("see these");
    expect(msg.media!.map((m) => [m.kind, m.mimeType])).toEqual([
      ["audio", "audio/mpeg"],
      ["image", "image/png"],
      ["file", "application/pdf"],
    ]);
    expect(Buffer.compare(await msg.media![1]!.fetch!(), pngBytes)).toBe(0);
  });

  it("refuses to download an attachment Discord reports as larger than 25 MB", async () => {
    const att = h.fake.addAttachment({ data: Buffer.from("small"), contentType: "audio/ogg", filename: "huge.ogg", size: 30 * 1024 * 1024 });
    const msg = await one(() => h.fake.dm("", { attachments: [att] }));
    await expect(msg.media![0]!.fetch!()).rejects.toThrow(/huge\.ogg.*over the 25\.0 MB download limit/);
  });

  it("says why an attachment download failed", async () => {
    const att = h.fake.addAttachment({ data: Buffer.from("x"), contentType: "image/png", filename: "gone.png" });
    const msg = await one(() => h.fake.dm("look", { attachments: [{ ...att, url: att.url.replace(/\/gone\.png/, "/missing.png") }] }));
    await expect(msg.media![0]!.fetch!()).rejects.toThrow(/gone\.png.*HTTP 404.*expired/);
  });
});
