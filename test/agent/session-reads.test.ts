// What a turn reads and writes of its session: one read (summary and history
// together) and one save (session row, chat, usage and messages); no read at
// all for a session the caller knows is new.
import { describe, expect, it } from "vitest";
import { setup } from "./setup.ts";

describe("a turn's session reads and writes", () => {
  it("reads the session once and saves it in one call, with the chat and the usage", async () => {
    const { agent, router, sessions, origin } = setup();
    router.push("hello", "again");
    await agent.runTurn({ origin, text: "hi" });
    await agent.runTurn({ origin, text: "and?" });
    expect(sessions.callsFor(origin.sessionKey)).toEqual(["turnContext", "saveTurn", "turnContext", "saveTurn"]);
    expect(router.messages(1).slice(1)).toEqual([
      { role: "user", content: "hi" },
      { role: "assistant", content: "hello" },
      { role: "user", content: "and?" },
    ]);
    expect(sessions.getSession(origin.sessionKey)).toMatchObject({ channel: "telegram", chatId: "1042", messageCount: 4, lastPromptTokens: 100 });
  });

  it("a turn told its session is new reads nothing and still saves the history", async () => {
    const { agent, router, sessions, origin } = setup();
    router.push("welcome");
    await agent.runTurn({ origin, text: "first words", newSession: true });
    expect(sessions.callsFor(origin.sessionKey)).toEqual(["saveTurn"]);
    expect(router.messages(0).slice(1)).toEqual([{ role: "user", content: "first words" }]);
    expect(sessions.history(origin.sessionKey).map((m) => m.message.content)).toEqual(["first words", "welcome"]);
  });
});
