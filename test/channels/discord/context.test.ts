// Replies and forwards through the real discord.js client and the fake
// gateway: referenced_message becomes replyTo, a forward's snapshot becomes
// the message's text with forwardedFrom.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./harness.ts";

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

async function next() {
  const [msg] = await h.waitForMessages(1);
  h.received.length = 0;
  return msg!;
}

describe("Discord: what a message replies to or forwards", () => {
  it("a reply carries the replied-to text and its author's name", async () => {
    const ref = h.fake.guildMessage("The deploy is at 5pm.");
    await next();
    h.fake.guildMessage("still on?", { author: h.fake.bob, referenced: ref });
    const msg = await next();
    expect(msg.replyTo).toEqual({ text: "The deploy is at 5pm.", senderName: "Alice A." });
    expect(msg.forwardedFrom).toBeUndefined();
  });

  it("in a guild the sender's name is their nickname there, also for the replied-to author", async () => {
    const ref = h.fake.guildMessage("Standup moved to 10", { nick: "Ali (ops)" });
    await next();
    h.fake.guildMessage("ok", { author: h.fake.bob, nick: "Bobby", referenced: ref });
    const msg = await next();
    expect(msg.senderName).toBe("Bobby");
    expect(msg.replyTo).toEqual({ text: "Standup moved to 10", senderName: "Ali (ops)" });
  });

  it("a reply to the bot is marked as the bot's own message", async () => {
    await h.adapter.send(h.fake.guild.channelId, { text: "I said this", format: "markdown" });
    const botMsg = h.fake.sent.at(-1)!;
    const ref = { ...h.fake.guildMessage("I said this"), id: botMsg.messageId, author: h.fake.botUserPayload() };
    await next();
    h.fake.guildMessage("why?", { referenced: ref });
    const msg = await next();
    expect(msg.replyTo).toEqual({ text: "I said this", fromBot: true });
    expect(msg.replyToBot).toBe(true);
  });

  it("a forward reads as the forwarded text, marked with the channel it came from", async () => {
    const original = h.fake.guildMessage("Release notes: v2 ships Friday");
    await next();
    h.fake.dm("", { forwarded: original });
    const msg = await next();
    expect(msg.text).toBe("Release notes: v2 ships Friday");
    expect(msg.chatType).toBe("direct");
    expect(msg.forwardedFrom?.name).toMatch(/^#/);
    expect(msg.replyTo).toBeUndefined();
  });
});
