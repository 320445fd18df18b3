// Replies, quotes and forwards as Telegram's Bot API shapes them, read into
// InboundMessage.replyTo / forwardedFrom.
import { describe, expect, it } from "vitest";
import { normalizeUpdate } from "../../../channels/telegram/normalize.ts";
import { parseUpdate } from "../../../channels/telegram/schema.ts";

const bot = { id: 9000, username: "helper_bot" };
const noFiles = () => async () => Buffer.alloc(0);
const ana = { id: 11, is_bot: false, first_name: "Ana", last_name: "Lima", username: "ana" };
const bob = { id: 22, is_bot: false, first_name: "Bob" };
const group = { id: -100500, type: "supergroup", title: "Team" };

function read(message: Record<string, unknown>) {
  const parsed = parseUpdate({ update_id: 1, message: { message_id: 50, date: 1_767_000_000, chat: group, from: ana, ...message } });
  if (!parsed.ok) throw new Error(parsed.reason);
  return normalizeUpdate(parsed.update, bot, noFiles);
}

describe("telegram: what a message replies to or forwards", () => {
  it("a reply carries the replied-to text and its author's name", () => {
    const msg = read({ text: "is this still true?", reply_to_message: { message_id: 40, date: 1, chat: group, from: bob, text: "The office opens at 9." } });
    expect(msg?.replyTo).toEqual({ text: "The office opens at 9.", senderName: "Bob" });
    expect(msg?.replyToBot).toBeUndefined();
  });

  it("a reply to the bot is marked as the bot's own message", () => {
    const msg = read({ text: "why?", reply_to_message: { message_id: 41, date: 1, chat: group, from: { id: 9000, is_bot: true, first_name: "Helper" }, text: "Because." } });
    expect(msg?.replyTo).toEqual({ text: "Because.", fromBot: true });
    expect(msg?.replyToBot).toBe(true);
  });

  it("the part a person quoted wins over the whole replied-to message; a photo's caption counts as its text", () => {
    const quoted = read({ text: "this part", quote: { text: "opens at 9", position: 15 }, reply_to_message: { message_id: 40, date: 1, chat: group, from: bob, text: "The office opens at 9." } });
    expect(quoted?.replyTo?.text).toBe("opens at 9");
    const caption = read({ text: "where?", reply_to_message: { message_id: 42, date: 1, chat: group, from: bob, caption: "our new office", photo: [] } });
    expect(caption?.replyTo).toEqual({ text: "our new office", senderName: "Bob" });
  });

  it("a reply to a message in another chat (external_reply) names its origin and keeps the quote", () => {
    const msg = read({
      text: "thoughts?",
      quote: { text: "Prices rise in May", position: 0 },
      external_reply: { origin: { type: "channel", date: 1, chat: { id: -1007, type: "channel", title: "News Daily" }, message_id: 3, author_signature: "Eve" } },
    });
    expect(msg?.replyTo).toEqual({ text: "Prices rise in May", senderName: "News Daily (Eve)" });
  });

  it("a forwarded message says where it came from, for each kind of origin", () => {
    expect(read({ text: "fwd", forward_origin: { type: "user", date: 1, sender_user: bob } })?.forwardedFrom).toEqual({ name: "Bob" });
    expect(read({ text: "fwd", forward_origin: { type: "hidden_user", date: 1, sender_user_name: "Mystery Person" } })?.forwardedFrom).toEqual({ name: "Mystery Person" });
    expect(read({ text: "fwd", forward_origin: { type: "chat", date: 1, sender_chat: { id: -5, type: "group", title: "Book Club" } } })?.forwardedFrom).toEqual({ name: "Book Club" });
    expect(read({ text: "fwd", forward_origin: { type: "channel", date: 1, chat: { id: -6, type: "channel", title: "Alerts" }, message_id: 9 } })?.forwardedFrom).toEqual({ name: "Alerts" });
    expect(read({ text: "fwd", forward_origin: { type: "something_new", date: 1 } })?.forwardedFrom).toEqual({});
  });

  it("the topic's opening message is not taken for a reply in a forum", () => {
    const msg = read({ text: "hello topic", message_thread_id: 77, is_topic_message: true, reply_to_message: { message_id: 77, date: 1, chat: group, from: bob } });
    expect(msg?.threadId).toBe("77");
    expect(msg?.replyTo).toBeUndefined();
  });

  it("a plain message has no reply or forward context", () => {
    const msg = read({ text: "hi" });
    expect(msg?.replyTo).toBeUndefined();
    expect(msg?.forwardedFrom).toBeUndefined();
  });

  it("context of an unexpected shape is dropped, the message kept", () => {
    const msg = read({ text: "still here", quote: { text: 5 }, forward_origin: "someone", external_reply: { origin: null } });
    expect(msg?.text).toBe("still here");
    expect(msg?.replyTo).toBeUndefined();
    expect(msg?.forwardedFrom).toBeUndefined();
  });
});
