import { describe, expect, it } from "vitest";
import type { InboundMessage } from "../../src/core/channel.ts";
import { AllowList, groupTriggered, parseAllowEntry } from "../../src/gateway/access.ts";

const tg = (senderId: string, senderUsername?: string) => ({ channel: "telegram", senderId, ...(senderUsername ? { senderUsername } : {}) });

describe("allow_from", () => {
  it("matches numeric ids given as numbers or strings", () => {
    const list = new AllowList([123456789, "42"]);
    expect(list.allows(tg("123456789"))).toBe(true);
    expect(list.allows(tg("42"))).toBe(true);
    expect(list.allows(tg("4242"))).toBe(false);
  });

  it("matches @usernames case-insensitively, never ids that look alike", () => {
    const list = new AllowList(["@Alice"]);
    expect(list.allows(tg("1", "alice"))).toBe(true);
    expect(list.allows(tg("1", "@ALICE"))).toBe(true);
    expect(list.allows(tg("alice"))).toBe(false);
    expect(list.allows(tg("1", "bob"))).toBe(false);
  });

  it("matches the id|username form by either part", () => {
    const list = new AllowList(["123|bob"]);
    expect(list.allows(tg("123"))).toBe(true);
    expect(list.allows(tg("999", "Bob"))).toBe(true);
    expect(list.allows(tg("999", "carol"))).toBe(false);
  });

  it("limits platform:id entries to that platform", () => {
    const list = new AllowList(["discord:555"]);
    expect(list.allows({ channel: "discord", senderId: "555" })).toBe(true);
    expect(list.allows({ channel: "telegram", senderId: "555" })).toBe(false);
  });

  it("admits everyone with *", () => {
    expect(new AllowList(["*"]).allows(tg("anyone"))).toBe(true);
  });

  it("admits nobody when empty, and ignores blank entries", () => {
    const list = new AllowList(["", "  "]);
    expect(list.empty).toBe(true);
    expect(list.allows(tg(""))).toBe(false);
    expect(parseAllowEntry("")).toBeUndefined();
  });

  it("matches WhatsApp JIDs by phone number", () => {
    const list = new AllowList(["+4915112345678"]);
    expect(list.allows({ channel: "whatsapp", senderId: "4915112345678@s.whatsapp.net" })).toBe(true);
    expect(list.allows({ channel: "whatsapp", senderId: "4915100000000@s.whatsapp.net" })).toBe(false);
  });
});

describe("group trigger", () => {
  const msg = (over: Partial<InboundMessage>): InboundMessage => ({
    channel: "telegram",
    chatId: "-100",
    chatType: "group",
    messageId: "1",
    senderId: "7",
    text: "hello",
    ...over,
  });

  it("ignores group chatter that does not address the bot", () => {
    expect(groupTriggered(msg({}), undefined).triggered).toBe(false);
    expect(groupTriggered(msg({}), { mention_only: true }).triggered).toBe(false);
  });

  it("answers mentions and replies to the bot", () => {
    expect(groupTriggered(msg({ mentioned: true }), undefined).triggered).toBe(true);
    expect(groupTriggered(msg({ replyToBot: true }), undefined).triggered).toBe(true);
  });

  it("answers a prefix and strips it", () => {
    const r = groupTriggered(msg({ text: "!ask what time is it" }), { prefixes: ["!ask"] });
    expect(r).toEqual({ triggered: true, text: "what time is it" });
  });

  it("answers everything only when mention_only is explicitly false", () => {
    expect(groupTriggered(msg({}), { mention_only: false }).triggered).toBe(true);
  });

  it("always passes direct messages", () => {
    expect(groupTriggered(msg({ chatType: "direct" }), { mention_only: true }).triggered).toBe(true);
  });
});
