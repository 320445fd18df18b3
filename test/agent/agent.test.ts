import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { sessionKeyFor } from "../../src/agent/peer-key.ts";
import { ProviderError } from "../../src/providers/types.ts";
import { ToolError, type Tool } from "../../src/tools/types.ts";
import { setupAgent } from "./harness.ts";

const echoTool: Tool = {
  name: "echo",
  description: "repeat a word",
  schema: z.object({ word: z.string().describe("the word") }),
  async run(args: { word: string }) {
    return `echo: ${args.word}`;
  },
};

describe("a turn", () => {
  it("answers, saves user and assistant messages, and sends history next time", async () => {
    const { agent, router, store, origin } = setupAgent();
    router.script.push("Hello Ada!", "You said your name is Ada.");
    expect((await agent.runTurn({ origin, text: "I am Ada" })).text).toBe("Hello Ada!");
    await agent.runTurn({ origin, text: "What is my name?" });
    const second = router.requests[1]!.messages.map((m) => [m.role, m.content]);
    expect(second.slice(1)).toEqual([
      ["user", "I am Ada"],
      ["assistant", "Hello Ada!"],
      ["user", "What is my name?"],
    ]);
    expect(store.sessions.history(origin.sessionKey)).toHaveLength(4);
  });

  it("builds the system prompt from workspace files, the time, the chat and the summary", async () => {
    const { agent, router, store, origin, workspaceDir } = setupAgent();
    writeFileSync(join(workspaceDir, "USER.md"), "# User\nThe user's name is Grace and she lives in Lisbon.\n");
    store.sessions.touchSession(origin.sessionKey, { now: 1 });
    store.sessions.compact(origin.sessionKey, "They planned a trip to Porto.", 0, 1);
    await agent.runTurn({ origin, text: "hi" });
    const system = router.requests[0]!.messages[0]!;
    expect(system.role).toBe("system");
    expect(system.content).toContain("lives in Lisbon");
    expect(system.content).toContain("2026-11-23T10:00:00.000Z");
    expect(system.content).toContain("telegram chat 42, from 42");
    expect(system.content).toContain("They planned a trip to Porto.");
    expect(system.content).not.toContain("<!--"); // comment-only template text is left out
  });

  it("re-reads workspace files only when one changes", async () => {
    const { agent, origin, workspaceDir } = setupAgent();
    await agent.runTurn({ origin, text: "a" });
    await agent.runTurn({ origin, text: "b" });
    expect(agent.prompt.reads).toBe(1);
    writeFileSync(join(workspaceDir, "MEMORY.md"), "# Memory\nLikes tea.\n");
    await agent.runTurn({ origin, text: "c" });
    expect(agent.prompt.reads).toBe(2);
  });
});

describe("the tool loop", () => {
  it("runs several calls of one step and returns each result to its call id, in order", async () => {
    const { agent, router, tools, origin } = setupAgent();
    tools.register(echoTool);
    router.script.push({ calls: [{ name: "echo", arguments: '{"word":"one"}' }, { name: "echo", arguments: '{"word":"two"}' }] }, "done");
    const res = await agent.runTurn({ origin, text: "go" });
    expect(res).toMatchObject({ text: "done", iterations: 1 });
    const msgs = router.requests[1]!.messages;
    const assistant = msgs.find((m) => m.role === "assistant")!;
    const results = msgs.filter((m) => m.role === "tool");
    expect(results.map((m) => [m.toolCallId, m.content])).toEqual([
      [assistant.toolCalls![0]!.id, "echo: one"],
      [assistant.toolCalls![1]!.id, "echo: two"],
    ]);
    expect(router.requests[0]!.tools![0]).toMatchObject({ name: "echo", parameters: { type: "object", properties: { word: { type: "string", description: "the word" } }, required: ["word"] } });
  });

  it("returns bad JSON, invalid arguments, unknown tools, throws and timeouts to the model instead of failing", async () => {
    const { agent, router, tools, origin } = setupAgent();
    tools.register(echoTool);
    tools.register({ name: "boom", description: "fails", schema: z.object({}), run: async () => { throw new ToolError("the disk is full"); } });
    tools.register({ name: "slow", description: "hangs", schema: z.object({}), timeoutMs: 50, run: () => new Promise(() => undefined) });
    router.script.push(
      { calls: [
        { name: "echo", arguments: "{not json" },
        { name: "echo", arguments: '{"word": 5}' },
        { name: "nope", arguments: "{}" },
        { name: "boom", arguments: "{}" },
        { name: "slow", arguments: "{}" },
      ] },
      "recovered",
    );
    const res = await agent.runTurn({ origin, text: "go" });
    expect(res.text).toBe("recovered");
    const results = router.requests[1]!.messages.filter((m) => m.role === "tool").map((m) => m.content as string);
    expect(results[0]).toMatch(/not valid JSON/);
    expect(results[1]).toMatch(/invalid arguments for echo: word: /);
    expect(results[2]).toMatch(/no tool named "nope"; available tools: echo, boom, slow/);
    expect(results[3]).toBe("Error: the disk is full");
    expect(results[4]).toMatch(/did not finish within/);
  });

  it("stops at max_tool_iterations with a plain sentence", async () => {
    const { agent, router, tools, origin } = setupAgent({ maxToolIterations: 2 });
    tools.register(echoTool);
    router.fallback = { calls: [{ name: "echo", arguments: '{"word":"again"}' }] };
    const res = await agent.runTurn({ origin, text: "loop forever" });
    expect(res.limitHit).toBe(true);
    expect(res.text).toMatch(/more than 2 tool steps/);
    expect(router.requests).toHaveLength(3);
  });
});

describe("compaction", () => {
  it("summarizes older turns after 20 messages and keeps a tail starting at a user message", async () => {
    const { agent, router, store, origin } = setupAgent();
    router.fallback = (req) => (req.messages[0]!.content as string).startsWith("Summarize") ? "SUMMARY: counted to ten" : "fine";
    for (let i = 0; i < 11; i++) await agent.runTurn({ origin, text: `message ${i}` });
    const s = store.sessions.getSession(origin.sessionKey)!;
    expect(s.summary).toBe("SUMMARY: counted to ten");
    const history = store.sessions.history(origin.sessionKey);
    expect(history.length).toBeLessThanOrEqual(8);
    expect(history[0]!.message.role).toBe("user");
    await agent.runTurn({ origin, text: "next" });
    expect(router.requests.at(-1)!.messages[0]!.content).toContain("SUMMARY: counted to ten");
  });

  it("on context_overflow compacts and retries once; a second overflow propagates", async () => {
    const { agent, router, store, origin } = setupAgent();
    for (let i = 0; i < 4; i++) await agent.runTurn({ origin, text: `m${i}` });
    router.script.push(new ProviderError("context_overflow", "too long"), "SUMMARY", "answer after compaction");
    const res = await agent.runTurn({ origin, text: "big question" });
    expect(res.text).toBe("answer after compaction");
    expect(store.sessions.getSession(origin.sessionKey)!.summary).toBe("SUMMARY");
    router.script.push(new ProviderError("context_overflow", "too long"), "S2", new ProviderError("context_overflow", "still too long"));
    await expect(agent.runTurn({ origin, text: "again" })).rejects.toMatchObject({ reason: "context_overflow" });
  });

  it("leaves history untouched when a turn fails", async () => {
    const { agent, router, store, origin } = setupAgent();
    router.script.push(new ProviderError("auth", "bad key"));
    await expect(agent.runTurn({ origin, text: "hello" })).rejects.toThrow();
    expect(store.sessions.history(origin.sessionKey)).toEqual([]);
  });
});

describe("chat commands", () => {
  it("/new and /reset start fresh; /help lists; /status@bot shows the model and session", async () => {
    const { agent, router, store, origin } = setupAgent();
    await agent.runTurn({ origin, text: "remember me" });
    const reset = await agent.runTurn({ origin, text: "/NEW" });
    expect(reset.text).toMatch(/new session/);
    expect(store.sessions.history(origin.sessionKey)).toEqual([]);
    expect((await agent.runTurn({ origin, text: "/help" })).text).toMatch(/\/reset/);
    const status = await agent.runTurn({ origin, text: "/status@my_bot" });
    expect(status.text).toMatch(/Model: fake, fallbacks: backup/);
    expect(status.text).toMatch(/Session: telegram:dm:42/);
    expect(router.requests).toHaveLength(1); // commands never reach the model
  });
});

describe("sessions", () => {
  const peer = { channel: "telegram", accountId: "bot1", chatId: "42", chatType: "direct" as const, senderId: "42" };
  it("keys direct chats by dm_scope and groups by group and thread", () => {
    expect(sessionKeyFor(peer, "main")).toBe("main");
    expect(sessionKeyFor(peer, "per-peer")).toBe("dm:42");
    expect(sessionKeyFor(peer, "per-channel-peer")).toBe("telegram:dm:42");
    expect(sessionKeyFor(peer, "per-account-channel-peer")).toBe("telegram:bot1:dm:42");
    expect(sessionKeyFor({ ...peer, chatType: "group", chatId: "-100" }, "main")).toBe("telegram:group:-100");
    expect(sessionKeyFor({ ...peer, chatType: "group", chatId: "-100", threadId: "7" })).toBe("telegram:group:-100:thread:7");
  });

  it("runs one session's turns in order and different sessions side by side", async () => {
    const { agent, router, origin } = setupAgent();
    const events: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    router.fallback = (req) => {
      const last = req.messages.at(-1)!.content as string;
      events.push(`start ${last}`);
      return last;
    };
    const slowRouterChat = router.chat.bind(router);
    router.chat = async (req, opts) => {
      const res = await slowRouterChat(req, opts);
      if (res.content === "a1") await gate;
      events.push(`end ${res.content}`);
      return res;
    };
    const a1 = agent.runTurn({ origin, text: "a1" });
    const a2 = agent.runTurn({ origin, text: "a2" });
    const b1 = agent.runTurn({ origin: { ...origin, sessionKey: "other" }, text: "b1" });
    await b1;
    expect(events).toEqual(["start a1", "start b1", "end b1"]);
    release();
    await Promise.all([a1, a2]);
    expect(events.slice(3)).toEqual(["end a1", "start a2", "end a2"]);
  });

  it("heartbeat turns neither read nor write history", async () => {
    const { agent, router, store, origin } = setupAgent();
    await agent.runTurn({ origin, text: "private chat" });
    await agent.runTurn({ origin, text: "beat", noHistory: true });
    expect(router.requests[1]!.messages.map((m) => m.role)).toEqual(["system", "user"]);
    expect(store.sessions.history(origin.sessionKey)).toHaveLength(2);
  });
});
