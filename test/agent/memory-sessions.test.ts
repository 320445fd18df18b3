// The in-memory store the agent tests use must behave like the SessionStore contract.
import { describe, expect, it } from "vitest";
import { MemorySessionStore } from "./memory-sessions.ts";

describe("MemorySessionStore", () => {
  it("appends with increasing ids, returns copies and counts active messages", () => {
    const s = new MemorySessionStore();
    const a = s.append("a", [{ role: "user", content: "hi" }], 5);
    const b = s.append("b", [{ role: "user", content: "yo" }, { role: "assistant", content: "hey" }], 6);
    expect(b.map((m) => m.id)).toEqual([a[0]!.id + 1, a[0]!.id + 2]);
    const h = s.history("b");
    (h[0]!.message as { content: string }).content = "changed";
    expect(s.history("b")[0]!.message.content).toBe("yo");
    expect(s.getSession("b")).toMatchObject({ key: "b", createdAt: 6, messageCount: 2, summary: "" });
  });

  it("compacts below an id and resets to an empty generation", () => {
    const s = new MemorySessionStore();
    const rows = s.append("k", ["1", "2", "3", "4"].map((c) => ({ role: "user" as const, content: c })), 1);
    s.compact("k", "sum", rows[2]!.id, 2);
    expect(s.history("k").map((m) => m.message.content)).toEqual(["3", "4"]);
    s.saveTurn("k", { promptTokens: 99, model: "m#0", messages: [], now: 3 });
    expect(s.getSession("k")).toMatchObject({ summary: "sum", messageCount: 2, lastPromptTokens: 99, lastModel: "m#0" });
    s.reset("k", 4);
    expect(s.history("k")).toEqual([]);
    expect(s.getSession("k")).toMatchObject({ summary: "", messageCount: 0, lastModel: "m#0" });
    expect(s.getSession("k")!.lastPromptTokens).toBeUndefined();
  });

  it("a turn keeps the chat unless given a new one; list is most recent first", () => {
    const s = new MemorySessionStore();
    s.saveTurn("a", { channel: "telegram", chatId: "1", messages: [], now: 1 });
    s.saveTurn("a", { messages: [], now: 3 });
    s.saveTurn("b", { messages: [], now: 2 });
    expect(s.getSession("a")).toMatchObject({ channel: "telegram", chatId: "1", updatedAt: 3 });
    expect(s.listSessions().map((r) => r.key)).toEqual(["a", "b"]);
    expect(s.listSessions(1)).toHaveLength(1);
  });
});
