import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  compactionReason,
  keptTailStart,
  SUMMARY_INSTRUCTION,
  transcriptOf,
} from "../../src/agent/compaction.ts";
import type { ChatMessage } from "../../src/core/chat.ts";
import { ProviderError } from "../../src/providers/types.ts";
import type { StoredMessage } from "../../src/store/types.ts";
import { setup } from "./setup.ts";

const overflow = () => new ProviderError("context_overflow", "prompt is too long: 140000 tokens > 128000");

function stored(roles: ChatMessage["role"][]): StoredMessage[] {
  return roles.map((role, i) => ({ id: 100 + i, createdAt: 0, message: { role, content: `${role} ${i}` } }));
}

describe("keptTailStart", () => {
  it("keeps the last six messages when they begin at a user message", () => {
    const h = stored(["user", "assistant", "user", "assistant", "user", "assistant", "user", "assistant"]);
    expect(keptTailStart(h, 6)).toBe(2);
  });

  it("moves back to the user message so tool calls stay with their results", () => {
    const h = stored(["user", "assistant", "user", "assistant", "tool", "tool", "assistant", "user", "assistant"]);
    // 9 - 6 = 3 is an assistant tool call; its turn starts at 2
    expect(keptTailStart(h, 6)).toBe(2);
    expect(h[2]!.message.role).toBe("user");
  });

  it("moves forward when moving back would keep everything", () => {
    const h = stored(["user", "assistant", "tool", "assistant", "tool", "assistant", "tool", "assistant", "user", "assistant"]);
    expect(keptTailStart(h, 6)).toBe(8);
  });

  it("returns 0 when there is nothing to compact and the length when keep is 0", () => {
    expect(keptTailStart(stored(["user", "assistant"]), 6)).toBe(0);
    expect(keptTailStart(stored(["user", "assistant", "tool", "assistant"]), 2)).toBe(0);
    expect(keptTailStart(stored(["user", "assistant"]), 0)).toBe(2);
    expect(keptTailStart([], 0)).toBe(0);
  });
});

describe("compactionReason", () => {
  it("fires past 20 messages or 75 % of the context window", () => {
    expect(compactionReason({ messageCount: 20, promptTokens: 10 })).toBeUndefined();
    expect(compactionReason({ messageCount: 21, promptTokens: 10 })).toBe("messages");
    expect(compactionReason({ messageCount: 4, promptTokens: 96_001 })).toBe("tokens"); // default 128k window
    expect(compactionReason({ messageCount: 4, promptTokens: 96_000 })).toBeUndefined();
    expect(compactionReason({ messageCount: 4, promptTokens: 6_200, contextWindow: 8_192 })).toBe("tokens");
  });
});

describe("transcriptOf", () => {
  it("shows tool calls and clips long tool results", () => {
    const t = transcriptOf([
      { role: "user", content: "weather?" },
      { role: "assistant", content: "", toolCalls: [{ id: "1", name: "web_search", arguments: '{"q":"lisbon weather"}' }] },
      { role: "tool", content: "x".repeat(5_000), toolCallId: "1", name: "web_search" },
      { role: "assistant", content: "Sunny." },
    ]);
    expect(t).toContain('assistant: [called web_search({"q":"lisbon weather"})]');
    expect(t).toContain("[web_search result] xxx");
    expect(t.length).toBeLessThan(1_000);
    expect(t).toContain("assistant: Sunny.");
  });
});

describe("compaction after a turn", () => {
  it("summarizes once the history passes 20 messages and keeps a tail that starts at a user message", async () => {
    const { agent, router, sessions, origin } = setup();
    for (let i = 1; i <= 10; i++) {
      router.push(`answer ${i}`);
      await agent.runTurn({ origin, text: `question ${i}` });
    }
    expect(sessions.history(origin.sessionKey)).toHaveLength(20); // not yet
    expect(router.requests).toHaveLength(10);

    router.push("answer 11", "- The user asked eleven numbered questions.");
    await agent.runTurn({ origin, text: "question 11" });
    await agent.compactions.idle(); // the summary is written after the turn
    expect(router.requests).toHaveLength(12);
    const summarizing = router.messages(11);
    expect(summarizing[0]).toEqual({ role: "system", content: SUMMARY_INSTRUCTION });
    expect(summarizing[1]!.content).toContain("user: question 1\nassistant: answer 1");
    expect(summarizing[1]!.content).not.toContain("question 9"); // the kept tail is not summarized

    const tail = sessions.history(origin.sessionKey).map((m) => m.message);
    expect(tail.map((m) => m.content)).toEqual(["question 9", "answer 9", "question 10", "answer 10", "question 11", "answer 11"]);
    expect(tail[0]!.role).toBe("user");
    expect(sessions.getSession(origin.sessionKey)!.summary).toBe("- The user asked eleven numbered questions.");

    router.push("answer 12");
    await agent.runTurn({ origin, text: "question 12" });
    expect(router.system(12)).toContain("Summary of the earlier conversation:\n- The user asked eleven numbered questions.");
    expect(router.messages(12).slice(1).map((m) => m.content)).toEqual([...tail.map((m) => m.content), "question 12"]);
  });

  it("never starts the kept tail inside a tool exchange, and sends the previous summary along", async () => {
    const { agent, router, tools, sessions, origin } = setup();
    tools.register({ name: "look", description: "", schema: z.object({}), run: async () => "seen" });
    sessions.append(origin.sessionKey, [{ role: "user", content: "old" }, { role: "assistant", content: "old answer" }], 1);
    sessions.seedSummary(origin.sessionKey, "Earlier: the user likes tea.");
    for (let i = 1; i <= 8; i++) {
      router.push(`a${i}`);
      await agent.runTurn({ origin, text: `q${i}` });
    }
    // 18 messages; a turn with three tool steps adds 8 more → 26
    router.push({ calls: [{ name: "look" }] }, { calls: [{ name: "look" }] }, { calls: [{ name: "look" }] }, "looked thrice", "new summary");
    await agent.runTurn({ origin, text: "look three times" });
    await agent.compactions.idle();
    expect(router.messages(router.requests.length - 1)[1]!.content).toContain("Earlier summary:\nEarlier: the user likes tea.");
    const tail = sessions.history(origin.sessionKey).map((m) => m.message);
    expect(tail[0]).toEqual({ role: "user", content: "look three times" });
    expect(tail).toHaveLength(8);
    expect(sessions.getSession(origin.sessionKey)!.summary).toBe("new summary");
  });

  it("compacts at 75 % of the answering entry's context window", async () => {
    const { agent, router, sessions, origin } = setup({ contextWindowFor: (id) => (id === "fake#0" ? 1_000 : undefined) });
    for (let i = 1; i <= 3; i++) {
      router.push({ text: `a${i}`, usage: { promptTokens: 300 } });
      await agent.runTurn({ origin, text: `q${i}` });
    }
    expect(router.requests).toHaveLength(3);
    router.push({ text: "a4", usage: { promptTokens: 800 } }, "summary of q1");
    await agent.runTurn({ origin, text: "q4" });
    await agent.compactions.idle();
    expect(router.requests).toHaveLength(5);
    expect(sessions.history(origin.sessionKey).map((m) => m.message.content)).toEqual(["q2", "a2", "q3", "a3", "q4", "a4"]);
  });

  it("keeps the reply and the history when summarizing fails", async () => {
    const { agent, router, sessions, origin } = setup();
    sessions.append(origin.sessionKey, Array.from({ length: 20 }, (_, i) => ({ role: i % 2 ? "assistant" : "user", content: `m${i}` }) as ChatMessage), 1);
    router.push("the reply", new ProviderError("timeout", "summary timed out"));
    const res = await agent.runTurn({ origin, text: "hello" });
    await agent.compactions.idle();
    expect(res.text).toBe("the reply");
    expect(sessions.history(origin.sessionKey)).toHaveLength(22);
    expect(sessions.getSession(origin.sessionKey)!.summary).toBe("");
  });

  it("an empty summary compacts nothing", async () => {
    const { agent, router, sessions, origin } = setup();
    sessions.append(origin.sessionKey, Array.from({ length: 20 }, (_, i) => ({ role: i % 2 ? "assistant" : "user", content: `m${i}` }) as ChatMessage), 1);
    router.push("the reply", "   ");
    await agent.runTurn({ origin, text: "hello" });
    await agent.compactions.idle();
    expect(sessions.history(origin.sessionKey)).toHaveLength(22);
  });
});

describe("context overflow", () => {
  it("compacts the whole history and retries the turn once", async () => {
    const { agent, router, sessions, origin } = setup();
    router.push("a1", "a2");
    await agent.runTurn({ origin, text: "q1" });
    await agent.runTurn({ origin, text: "q2" });
    router.push(overflow(), "- q1 and q2 were answered.", "a3");
    const res = await agent.runTurn({ origin, text: "q3" });
    expect(res.text).toBe("a3");
    expect(router.requests).toHaveLength(5);
    expect(router.messages(3)[1]!.content).toContain("user: q2\nassistant: a2");
    const retry = router.messages(4);
    expect(retry.slice(1)).toEqual([{ role: "user", content: "q3" }]);
    expect(router.system(4)).toContain("- q1 and q2 were answered.");
    expect(sessions.history(origin.sessionKey).map((m) => m.message.content)).toEqual(["q3", "a3"]);
  });

  it("keeps the tool results of the turn when the overflow comes mid-turn", async () => {
    const { agent, router, tools, sessions, origin } = setup();
    let runs = 0;
    tools.register({ name: "count", description: "", schema: z.object({}), run: async () => `run ${++runs}` });
    sessions.append(origin.sessionKey, [{ role: "user", content: "old" }, { role: "assistant", content: "older" }], 1);
    router.push({ calls: [{ name: "count" }] }, overflow(), "summary", "counted");
    const res = await agent.runTurn({ origin, text: "count once" });
    expect(res.text).toBe("counted");
    expect(runs).toBe(1); // the tool did not run again
    expect(router.messages(3).slice(1).map((m) => m.role)).toEqual(["user", "assistant", "tool"]);
    expect(sessions.history(origin.sessionKey)).toHaveLength(4);
  });

  it("a second overflow reaches the caller and the turn is not stored", async () => {
    const { agent, router, sessions, origin } = setup();
    router.push("a1");
    await agent.runTurn({ origin, text: "q1" });
    router.push(overflow(), "summary", overflow());
    await expect(agent.runTurn({ origin, text: "huge" })).rejects.toMatchObject({ reason: "context_overflow" });
    expect(router.requests).toHaveLength(4);
    expect(sessions.history(origin.sessionKey).map((m) => m.message.content)).not.toContain("huge");
  });

  it("with no history to shrink, the overflow reaches the caller without a retry", async () => {
    const { agent, router, origin } = setup();
    router.push(overflow());
    await expect(agent.runTurn({ origin, text: "a very long paste" })).rejects.toBeInstanceOf(ProviderError);
    expect(router.requests).toHaveLength(1);
  });

  it("other provider errors are not retried", async () => {
    const { agent, router, sessions, origin } = setup();
    router.push("a1");
    await agent.runTurn({ origin, text: "q1" });
    router.push(new ProviderError("auth", "bad key for entry fake#0"));
    await expect(agent.runTurn({ origin, text: "q2" })).rejects.toMatchObject({ reason: "auth" });
    expect(router.requests).toHaveLength(2);
    expect(sessions.getSession(origin.sessionKey)!.summary).toBe("");
  });
});
