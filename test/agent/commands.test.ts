import { describe, expect, it } from "vitest";
import { NEW_SESSION_REPLY, parseCommand } from "../../src/agent/commands.ts";
import { setup } from "./setup.ts";

describe("parseCommand", () => {
  it("recognizes commands at the start, in any case, with an optional @botname", () => {
    expect(parseCommand("/new")).toEqual({ name: "/new", args: "" });
    expect(parseCommand("  /RESET please")).toEqual({ name: "/reset", args: "please" });
    expect(parseCommand("/status@my_bot")).toEqual({ name: "/status", args: "" });
    expect(parseCommand("/Help@MyBot\nmore")).toEqual({ name: "/help", args: "more" });
  });

  it("leaves everything else to the model", () => {
    for (const text of ["please /new", "/newest", "/new-chat", "/status@", "/unknown", "/", "new", "/etc/hosts is broken"]) {
      expect(parseCommand(text), text).toBeUndefined();
    }
  });
});

describe("chat commands in a turn", () => {
  it("/new and /reset start a new session without calling the model", async () => {
    for (const cmd of ["/new", "/reset@mybot"]) {
      const { agent, router, sessions, origin } = setup();
      router.push("a1");
      await agent.runTurn({ origin, text: "remember 42" });
      sessions.seedSummary(origin.sessionKey, "a summary");
      const res = await agent.runTurn({ origin, text: cmd });
      expect(res).toMatchObject({ text: NEW_SESSION_REPLY, command: cmd.replace(/@.*/, ""), attempts: [], iterations: 0 });
      expect(res.text).toBe("Started a new session.");
      expect(router.requests).toHaveLength(1);
      expect(sessions.history(origin.sessionKey)).toEqual([]);
      expect(sessions.getSession(origin.sessionKey)!.summary).toBe("");
      router.push("fresh");
      await agent.runTurn({ origin, text: "what did I say?" });
      expect(router.messages(1).slice(1).map((m) => m.content)).toEqual(["what did I say?"]);
      expect(router.system(1)).not.toContain("a summary");
    }
  });

  it("/help lists the commands", async () => {
    const { agent, router, origin } = setup();
    const res = await agent.runTurn({ origin, text: "/help" });
    expect(res.command).toBe("/help");
    for (const c of ["/new", "/reset", "/status", "/help"]) expect(res.text).toContain(c);
    expect(router.requests).toHaveLength(0);
  });

  it("/status shows the models, the last answering entry, the session and its size", async () => {
    const { agent, router, sessions, origin } = setup();
    const before = await agent.runTurn({ origin, text: "/status" });
    expect(before.text).toContain("Last answered by: (no reply yet)");
    expect(before.text).toContain("History: 0 messages, no summary");

    router.push({ text: "hi", usage: { promptTokens: 1234 } });
    await agent.runTurn({ origin, text: "hello" });
    sessions.seedSummary(origin.sessionKey, "earlier stuff");
    const res = await agent.runTurn({ origin, text: "/status@mybot" });
    expect(res.command).toBe("/status");
    expect(res.text.split("\n")).toEqual([
      "Model: fake (fallbacks: backup, local)",
      "Last answered by: fake#0",
      "Session: telegram:dm:42",
      "History: 2 messages, plus a summary of earlier turns",
      "Last prompt: 1234 tokens",
    ]);
    expect(router.requests).toHaveLength(1);
  });

  it("/status shows the turn's model override", async () => {
    const { agent, origin } = setup();
    const res = await agent.runTurn({ origin, text: "/status", model: "groq/llama-3.3-70b" });
    expect(res.text).toContain("Model: groq/llama-3.3-70b (fallbacks: none)");
  });

  it("text that only looks like a command goes to the model", async () => {
    const { agent, router, origin } = setup();
    router.push("That path is a file.");
    const res = await agent.runTurn({ origin, text: "/etc/hosts is broken" });
    expect(res.command).toBeUndefined();
    expect(res.text).toBe("That path is a file.");
  });
});
