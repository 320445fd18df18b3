// Agent.runConversation: a turn over the caller's messages (the HTTP API).
import { describe, expect, it } from "vitest";
import { setup } from "./setup.ts";

const origin = { sessionKey: "api:alice", channel: "api", chatId: "alice" };

describe("Agent.runConversation", () => {
  it("runs over the given messages without reading or writing a stored session", async () => {
    const { agent, router, sessions } = setup();
    router.push("four");
    const result = await agent.runConversation({
      origin,
      system: "Answer with a word.",
      messages: [
        { role: "user", content: "2+2?" },
        { role: "assistant", content: "4" },
        { role: "user", content: "in words?" },
      ],
    });
    expect(result.text).toBe("four");
    expect(result.usage).toEqual({ promptTokens: 100, completionTokens: 10, totalTokens: 110 });
    expect(router.system(0).endsWith("\n\nAnswer with a word.")).toBe(true);
    expect(router.messages(0).slice(1)).toEqual([
      { role: "user", content: "2+2?" },
      { role: "assistant", content: "4" },
      { role: "user", content: "in words?" },
    ]);
    expect(sessions.callsFor("api:alice")).toEqual([]);
  });

  it("with persist, puts the stored history first and saves the new messages and the answer", async () => {
    const { agent, router, sessions } = setup();
    router.push("noted", "blue");
    await agent.runConversation({ origin, persist: true, messages: [{ role: "user", content: "I like blue" }] });
    await agent.runConversation({ origin, persist: true, messages: [{ role: "user", content: "which colour?" }] });
    expect(router.messages(1).slice(1)).toEqual([
      { role: "user", content: "I like blue" },
      { role: "assistant", content: "noted" },
      { role: "user", content: "which colour?" },
    ]);
    expect(sessions.history("api:alice").map((m) => m.message.content)).toEqual(["I like blue", "noted", "which colour?", "blue"]);
  });

  it("never treats a conversation's text as a chat command", async () => {
    const { agent, router } = setup();
    router.push("it resets things");
    const result = await agent.runConversation({ origin, persist: true, messages: [{ role: "user", content: "/reset" }] });
    expect(result.command).toBeUndefined();
    expect(result.text).toBe("it resets things");
  });
});
