import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ProviderError } from "../../src/providers/types.ts";
import { setup } from "./setup.ts";

describe("a plain turn", () => {
  it("answers and stores the user and assistant messages", async () => {
    const { agent, router, sessions, origin } = setup();
    router.push("Hello Ada!");
    const res = await agent.runTurn({ origin, text: "I am Ada" });
    expect(res).toMatchObject({ text: "Hello Ada!", media: [], iterations: 0, entryId: "fake#0" });
    expect(res.attempts).toHaveLength(1);
    expect(sessions.history(origin.sessionKey).map((m) => [m.message.role, m.message.content])).toEqual([
      ["user", "I am Ada"],
      ["assistant", "Hello Ada!"],
    ]);
    const s = sessions.getSession(origin.sessionKey)!;
    expect(s).toMatchObject({ channel: "telegram", chatId: "1042", lastModel: "fake#0", lastPromptTokens: 100, messageCount: 2 });
  });

  it("sends the history on the next turn, after the system prompt", async () => {
    const { agent, router, origin } = setup();
    router.push("Hello Ada!", "Your name is Ada.");
    await agent.runTurn({ origin, text: "I am Ada" });
    await agent.runTurn({ origin, text: "What is my name?" });
    const msgs = router.messages(1);
    expect(msgs[0]!.role).toBe("system");
    expect(msgs.slice(1).map((m) => [m.role, m.content])).toEqual([
      ["user", "I am Ada"],
      ["assistant", "Hello Ada!"],
      ["user", "What is my name?"],
    ]);
  });

  it("keeps sessions apart", async () => {
    const { agent, router, origin } = setup();
    router.push("one", "two");
    await agent.runTurn({ origin, text: "first person" });
    await agent.runTurn({ origin: { ...origin, sessionKey: "telegram:dm:7", senderId: "7" }, text: "second person" });
    expect(router.messages(1).slice(1).map((m) => m.content)).toEqual(["second person"]);
  });

  it("passes the model override, limits and tools to the router", async () => {
    const { agent, router, origin } = setup({ maxTokens: 512, temperature: 0.2 });
    router.push("ok");
    await agent.runTurn({ origin, text: "hi", model: "litellm/gpt-4o" });
    const r = router.requests[0]!;
    expect(r.opts).toEqual({ model: "litellm/gpt-4o" });
    expect(r.req.maxTokens).toBe(512);
    expect(r.req.temperature).toBe(0.2);
    expect(r.req.tools).toBeUndefined(); // no tools registered: no empty list sent
    expect(r.signal).toBeInstanceOf(AbortSignal);
  });

  it("sums usage over the turn's calls", async () => {
    const { agent, router, tools, origin } = setup();
    tools.register({ name: "noop", description: "", schema: z.object({}), run: async () => "done" });
    router.push({ calls: [{ name: "noop" }], usage: { promptTokens: 50, completionTokens: 5, totalTokens: 55 } });
    router.push({ text: "fin", usage: { promptTokens: 70, completionTokens: 7, totalTokens: 77 } });
    const res = await agent.runTurn({ origin, text: "go" });
    expect(res.usage).toEqual({ promptTokens: 120, completionTokens: 12, totalTokens: 132 });
  });
});

describe("the system prompt", () => {
  it("holds the workspace files, the time, the channel and sender, and the summary", async () => {
    const { agent, router, sessions, origin, workspaceDir } = setup({ prompt: { timeZone: "Europe/Lisbon" } });
    writeFileSync(join(workspaceDir, "USER.md"), "# User\nGrace lives in Lisbon and drinks tea.\n");
    sessions.saveTurn(origin.sessionKey, { messages: [], now: 1 });
    sessions.seedSummary(origin.sessionKey, "They planned a trip to Porto.");
    router.push("ok");
    await agent.runTurn({ origin, text: "hi" });
    const system = router.system(0);
    expect(system).toContain("Grace lives in Lisbon and drinks tea.");
    expect(system).toContain("You are a personal assistant"); // AGENT.md template
    expect(system).toContain("Now: 2026-11-23T10:00:00+00:00 (Monday, Europe/Lisbon)");
    expect(system).toContain("Channel: telegram chat 1042, sender 42");
    expect(system).toContain("They planned a trip to Porto.");
    expect(system).not.toContain("<!--");
    expect(system).not.toContain("# Memory"); // comment-only MEMORY.md is left out
  });

  it("re-reads the workspace only after a file changed", async () => {
    const { agent, router, origin, workspaceDir, clock } = setup();
    router.push("a", "b", "c");
    await agent.runTurn({ origin, text: "1" });
    await agent.runTurn({ origin, text: "2" });
    expect(agent.prompt.fileReads).toBe(1);
    writeFileSync(join(workspaceDir, "MEMORY.md"), "# Memory\n- The owner's dog is called Rex.\n");
    clock.advance(1000); // an edit by hand reaches the prompt within a second (FILE_CHECK_INTERVAL_MS)
    await agent.runTurn({ origin, text: "3" });
    expect(agent.prompt.fileReads).toBe(2);
    expect(router.system(1)).not.toContain("Rex");
    expect(router.system(2)).toContain("The owner's dog is called Rex.");
  });

  it("follows the clock", async () => {
    const { agent, router, clock, origin } = setup();
    router.push("a", "b");
    await agent.runTurn({ origin, text: "1" });
    clock.advance(90 * 60_000);
    await agent.runTurn({ origin, text: "2" });
    expect(router.system(0)).toContain("2026-11-23T10:00:00+00:00");
    expect(router.system(1)).toContain("2026-11-23T11:30:00+00:00");
  });
});

describe("attachments", () => {
  it("sends image data with the turn but stores only a note in the history", async () => {
    const { agent, router, sessions, origin } = setup();
    router.push("A cat.", "Still a cat.");
    const parts = [{ type: "image" as const, mimeType: "image/jpeg", data: "QUJD".repeat(1000) }];
    await agent.runTurn({ origin, text: "what is this?", parts });
    expect(router.messages(0).at(-1)!.content).toEqual([{ type: "text", text: "what is this?" }, ...parts]);
    const stored = sessions.history(origin.sessionKey)[0]!.message.content;
    expect(JSON.stringify(stored)).not.toContain("QUJD");
    expect(stored).toEqual([
      { type: "text", text: "what is this?" },
      { type: "text", text: "[image attachment (image/jpeg) not kept in history]" },
    ]);
  });
});

describe("a failed turn", () => {
  it("leaves the history unchanged and the error reaches the caller", async () => {
    const { agent, router, sessions, origin } = setup();
    router.push("first answer", new ProviderError("rate_limit", "all candidates are rate limited"));
    await agent.runTurn({ origin, text: "one" });
    await expect(agent.runTurn({ origin, text: "two" })).rejects.toMatchObject({ reason: "rate_limit" });
    expect(sessions.history(origin.sessionKey).map((m) => m.message.content)).toEqual(["one", "first answer"]);
  });

  it("a cancelled turn stores nothing", async () => {
    const { agent, router, sessions, origin } = setup();
    const ac = new AbortController();
    router.push(() => {
      ac.abort(new Error("gateway stopping"));
      return "too late";
    });
    await expect(agent.runTurn({ origin, text: "hi", signal: ac.signal })).rejects.toThrow("gateway stopping");
    expect(sessions.history(origin.sessionKey)).toEqual([]);
  });
});

describe("noHistory turns (heartbeat)", () => {
  it("neither read nor write the session", async () => {
    const { agent, router, sessions } = setup();
    const origin = { sessionKey: "heartbeat", channel: "telegram", chatId: "1042" };
    sessions.append("heartbeat", [{ role: "user", content: "old question" }, { role: "assistant", content: "old answer" }], 1);
    sessions.seedSummary("heartbeat", "old summary");
    const before = sessions.calls.length;
    router.push("HEARTBEAT_OK");
    const res = await agent.runTurn({ origin, text: "/new check the tasks", noHistory: true });
    expect(res.text).toBe("HEARTBEAT_OK");
    expect(res.command).toBeUndefined(); // no chat commands either
    expect(router.messages(0).map((m) => m.role)).toEqual(["system", "user"]);
    expect(router.system(0)).not.toContain("old summary");
    expect(sessions.calls.slice(before)).toEqual([]);
    expect(sessions.history("heartbeat")).toHaveLength(2);
  });
});
