// WhatsApp replies and forwards as baileys delivers them (contextInfo with
// quotedMessage / isForwarded), through the native adapter; and what the
// bridge protocol cannot say.
import { afterEach, describe, expect, it } from "vitest";
import { normalizeBridgeMessage } from "../../../channels/whatsapp/bridge-protocol.ts";
import { BOT, waMessage, type FakeWaSocket } from "../../fakes/whatsapp/socket.ts";
import { nativeHarness, onlineNative, type NativeHarness } from "./harness.ts";

let h: NativeHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function online(): Promise<FakeWaSocket> {
  h = nativeHarness();
  return onlineNative(h);
}

const ALICE = "4915112345678@s.whatsapp.net";
const CARLOS = "34600111222@s.whatsapp.net";
const GROUP = "120363025246125486@g.us";

describe("WhatsApp native: what a message replies to or forwards", () => {
  it("a reply carries the quoted text; its author is the number, or the bot", async () => {
    const sock = await online();
    sock.upsert([
      waMessage({
        from: ALICE,
        chat: GROUP,
        pushName: "Alice",
        message: { extendedTextMessage: { text: "agreed?", contextInfo: { stanzaId: "Q1", participant: CARLOS, quotedMessage: { conversation: "Dinner at 8, my place." } } } },
      }),
      waMessage({
        from: ALICE,
        pushName: "Alice",
        message: { extendedTextMessage: { text: "and tomorrow?", contextInfo: { stanzaId: "Q2", participant: BOT.id, quotedMessage: { extendedTextMessage: { text: "Sunny, 21°C." } } } } },
      }),
      waMessage({
        from: ALICE,
        pushName: "Alice",
        message: { imageMessage: { caption: "this one", mimetype: "image/jpeg", contextInfo: { stanzaId: "Q3", participant: ALICE, quotedMessage: { imageMessage: { caption: "two options", mimetype: "image/jpeg" } } } } },
      }),
    ]);
    const [a, b, c] = await h!.waitForMessages(3);
    expect(a!.replyTo).toEqual({ text: "Dinner at 8, my place.", senderName: "+34600111222" });
    expect(b!.replyTo).toEqual({ text: "Sunny, 21°C.", fromBot: true });
    expect(b!.replyToBot).toBe(true);
    expect(c!.replyTo).toEqual({ text: "two options", senderName: "Alice" });
  });

  it("a forwarded message is marked as forwarded (WhatsApp does not say from whom)", async () => {
    const sock = await online();
    sock.upsert([waMessage({ from: ALICE, pushName: "Alice", message: { extendedTextMessage: { text: "Road closed on Main St", contextInfo: { isForwarded: true, forwardingScore: 3 } } } })]);
    const [msg] = await h!.waitForMessages(1);
    expect(msg!.text).toBe("Road closed on Main St");
    expect(msg!.forwardedFrom).toEqual({});
    expect(msg!.replyTo).toBeUndefined();
  });
});

describe("WhatsApp bridge: the JSON protocol carries no quote or forward", () => {
  it("a bridge message has neither replyTo nor forwardedFrom, whatever extra fields it holds", () => {
    const msg = normalizeBridgeMessage(
      { type: "message", from: ALICE, content: "hi", quoted: { content: "unknown field" } } as never,
      { botJid: undefined, download: async () => Buffer.alloc(0), skipped: () => undefined },
    );
    expect(msg?.text).toBe("hi");
    expect(msg?.replyTo).toBeUndefined();
    expect(msg?.forwardedFrom).toBeUndefined();
  });
});
