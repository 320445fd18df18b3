import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import type { ChatMessage } from "../../src/core/chat.ts";
import { restart, useTempDb } from "./helpers.ts";

const t = useTempDb();
const user = (content: string): ChatMessage => ({ role: "user", content });
const assistant = (content: string): ChatMessage => ({ role: "assistant", content });
const texts = (rows: { message: ChatMessage }[]) => rows.map((r) => r.message.content);

describe("sessions", () => {
  it("keeps the history, summary and chat across a restart", () => {
    let s = t.open();
    s.sessions.saveTurn("telegram:dm:1", { channel: "telegram", chatId: "1", messages: [], now: 10 });
    const stored = s.sessions.append("telegram:dm:1", [user("one"), assistant("two")], 20);
    expect(stored.map((r) => r.createdAt)).toEqual([20, 20]);
    expect(stored[1]!.id).toBeGreaterThan(stored[0]!.id);
    s = restart(t, s);
    expect(texts(s.sessions.history("telegram:dm:1"))).toEqual(["one", "two"]);
    expect(s.sessions.history("telegram:dm:1").map((r) => r.id)).toEqual(stored.map((r) => r.id));
    expect(s.sessions.getSession("telegram:dm:1")).toEqual({
      key: "telegram:dm:1",
      createdAt: 10,
      updatedAt: 20,
      summary: "",
      channel: "telegram",
      chatId: "1",
      messageCount: 2,
    });
  });

  it("stores every kind of message exactly: tool calls, tool results, images as base64 parts", () => {
    let s = t.open();
    const png = Buffer.alloc(3000, 7).toString("base64");
    const messages: ChatMessage[] = [
      { role: "user", content: [{ type: "text", text: "what is this?" }, { type: "image", mimeType: "image/png", data: png }] },
      { role: "assistant", content: "", toolCalls: [{ id: "c1", name: "web_search", arguments: '{"q":"ünïcødé \\"quoted\\""}' }] },
      { role: "tool", content: "results…", toolCallId: "c1", name: "web_search" },
      assistant("a cat 🐈"),
    ];
    s.sessions.append("k", messages, 1);
    s = restart(t, s);
    expect(s.sessions.history("k").map((r) => r.message)).toEqual(messages);
    expect(s.db.prepare("SELECT role FROM messages ORDER BY id").all()).toEqual([{ role: "user" }, { role: "assistant" }, { role: "tool" }, { role: "assistant" }]);
  });

  it("returns nothing for an unknown session, and append creates it", () => {
    const s = t.open();
    expect(s.sessions.getSession("nope")).toBeUndefined();
    expect(s.sessions.history("nope")).toEqual([]);
    s.sessions.append("new", [user("hi")], 5);
    expect(s.sessions.getSession("new")).toMatchObject({ createdAt: 5, updatedAt: 5, messageCount: 1 });
    expect(s.sessions.getSession("new")!.channel).toBeUndefined();
  });

  it("compacts: older messages leave the history (not the disk), the summary replaces them", () => {
    let s = t.open();
    const rows = s.sessions.append("k", [user("1"), assistant("2"), user("3"), assistant("4")], 1);
    s.sessions.compact("k", "they counted to two", rows[2]!.id, 2);
    expect(texts(s.sessions.history("k"))).toEqual(["3", "4"]);
    s.sessions.append("k", [user("5")], 3);
    s = restart(t, s);
    expect(texts(s.sessions.history("k"))).toEqual(["3", "4", "5"]);
    expect(s.sessions.getSession("k")).toMatchObject({ summary: "they counted to two", messageCount: 3 });
    // a second compaction replaces the summary and goes further
    s.sessions.compact("k", "they counted to four", rows[3]!.id + 1, 4);
    expect(texts(s.sessions.history("k"))).toEqual(["5"]);
    expect(s.sessions.getSession("k")!.summary).toBe("they counted to four");
    expect((s.db.prepare("SELECT count(*) AS n FROM messages").get() as { n: number }).n).toBe(5);
  });

  it("compacting an unknown session does nothing", () => {
    const s = t.open();
    s.sessions.compact("ghost", "x", 100, 1);
    expect(s.sessions.getSession("ghost")).toBeUndefined();
  });

  it("reset starts a new generation: empty history, no summary, no token figure; the old rows stay on disk", () => {
    let s = t.open();
    s.sessions.saveTurn("k", { channel: "telegram", chatId: "1", messages: [], now: 1 });
    const rows = s.sessions.append("k", [user("old 1"), assistant("old 2")], 2);
    s.sessions.compact("k", "summary", rows[1]!.id, 3);
    s.sessions.saveTurn("k", { promptTokens: 900, model: "glm#0", messages: [], now: 3 });
    s.sessions.reset("k", 4);
    expect(s.sessions.history("k")).toEqual([]);
    const after = s.sessions.getSession("k")!;
    expect(after).toMatchObject({ summary: "", messageCount: 0, channel: "telegram", chatId: "1", lastModel: "glm#0", updatedAt: 4 });
    expect(after.lastPromptTokens).toBeUndefined();
    s.sessions.append("k", [user("new")], 5);
    s = restart(t, s);
    expect(texts(s.sessions.history("k"))).toEqual(["new"]);
    // messages appended after a reset never mix with the previous generation
    s.sessions.reset("k", 6);
    s.sessions.append("k", [user("newer")], 7);
    expect(texts(s.sessions.history("k"))).toEqual(["newer"]);
    const raw = new DatabaseSync(t.file);
    const gens = raw.prepare("SELECT generation, count(*) AS n FROM messages GROUP BY generation ORDER BY generation").all();
    raw.close();
    expect(gens).toEqual([
      { generation: 0, n: 2 },
      { generation: 1, n: 1 },
      { generation: 2, n: 1 },
    ]);
  });

  it("reset of an unknown session creates it empty (a /new as the first message)", () => {
    const s = t.open();
    s.sessions.reset("k", 9);
    expect(s.sessions.getSession("k")).toMatchObject({ createdAt: 9, summary: "", messageCount: 0 });
  });

  it("lists the most recently active sessions first, with their counts, up to the limit", () => {
    const s = t.open();
    s.sessions.saveTurn("a", { messages: [], now: 1 });
    s.sessions.saveTurn("b", { messages: [], now: 2 });
    s.sessions.saveTurn("c", { messages: [], now: 3 });
    s.sessions.append("a", [user("x"), user("y")], 10);
    expect(s.sessions.listSessions().map((r) => [r.key, r.messageCount])).toEqual([
      ["a", 2],
      ["c", 0],
      ["b", 0],
    ]);
    expect(s.sessions.listSessions(2).map((r) => r.key)).toEqual(["a", "c"]);
  });

  it("append is all or nothing", () => {
    const s = t.open();
    s.sessions.append("k", [user("kept")], 1);
    const cyclic: Record<string, unknown> = { role: "user" };
    cyclic.content = cyclic;
    expect(() => s.sessions.append("k", [user("lost"), cyclic as unknown as ChatMessage], 2)).toThrow(/circular/i);
    expect(texts(s.sessions.history("k"))).toEqual(["kept"]);
    expect(s.sessions.getSession("k")!.updatedAt).toBe(1);
  });
});
