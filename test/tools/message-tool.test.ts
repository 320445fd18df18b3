import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { allowToSet, createMessageTool, messageArgs, parseChatAddress } from "../../src/tools/message-tool.ts";
import { ToolError, type TurnOrigin } from "../../src/tools/types.ts";

const here: TurnOrigin = { sessionKey: "telegram:100", channel: "telegram", chatId: "100" };

function setup(allow_to: string[] = []) {
  const sent: { channel: string; chatId: string; text: string }[] = [];
  const tool = createMessageTool({ allow_to }, { send: async (channel, chatId, text) => void sent.push({ channel, chatId, text }) });
  const call = (raw: unknown, origin: TurnOrigin = here) =>
    tool.run(messageArgs.parse(raw), { origin, signal: new AbortController().signal, logger: silentLogger(), clock: new ManualClock() });
  return { sent, call };
}

describe("the message tool", () => {
  it("sends to the current chat by default", async () => {
    const { sent, call } = setup();
    expect(await call({ text: "on it" })).toBe("Message sent to telegram:100.");
    expect(sent).toEqual([{ channel: "telegram", chatId: "100", text: "on it" }]);
  });

  it("sends to the current chat when named explicitly", async () => {
    const { sent, call } = setup();
    await call({ text: "hi", to: "telegram:100" });
    expect(sent).toHaveLength(1);
  });

  it("sends to a chat on tools.message.allow_to", async () => {
    const { sent, call } = setup(["telegram:12345", "discord:999"]);
    await call({ text: "build is red", to: "discord:999" });
    expect(sent).toEqual([{ channel: "discord", chatId: "999", text: "build is red" }]);
  });

  it("refuses any other chat with a sentence and sends nothing", async () => {
    const { sent, call } = setup(["telegram:12345"]);
    await expect(call({ text: "x", to: "telegram:666" })).rejects.toThrow(ToolError);
    await expect(call({ text: "x", to: "discord:12345" })).rejects.toThrow(
      "Sending to discord:12345 is not allowed: only the current chat and the chats listed in tools.message.allow_to can receive messages.",
    );
    await expect(call({ text: "x", to: "12345" })).rejects.toThrow(/not a chat address/);
    expect(sent).toEqual([]);
  });

  it("has no current chat in a heartbeat or cron turn without a real chat", async () => {
    const { sent, call } = setup(["telegram:12345"]);
    const hb: TurnOrigin = { sessionKey: "heartbeat", channel: "heartbeat", chatId: "heartbeat" };
    await expect(call({ text: "x" }, hb)).rejects.toThrow(/no chat to write to/);
    await call({ text: "x", to: "telegram:12345" }, hb);
    expect(sent).toEqual([{ channel: "telegram", chatId: "12345", text: "x" }]);
  });

  it("refuses empty text", () => {
    expect(messageArgs.safeParse({ text: "   " }).success).toBe(false);
  });
});

describe("chat addresses", () => {
  it("split at the first colon", () => {
    expect(parseChatAddress("whatsapp:4912345@s.whatsapp.net")).toEqual({ channel: "whatsapp", chatId: "4912345@s.whatsapp.net" });
    expect(parseChatAddress("feishu:oc_abc:def")).toEqual({ channel: "feishu", chatId: "oc_abc:def" });
    expect(parseChatAddress("Telegram:-100123")).toEqual({ channel: "telegram", chatId: "-100123" });
    expect(parseChatAddress(":1")).toBeUndefined();
    expect(parseChatAddress("telegram:")).toBeUndefined();
  });

  it("ignore malformed allow_to entries", () => {
    expect([...allowToSet(["telegram:1", "bogus", "discord:"])]).toEqual(["telegram:1"]);
  });
});
