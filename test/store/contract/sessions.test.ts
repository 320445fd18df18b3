// Session history: the same behaviour on SQLite and PostgreSQL.
import { expect, it } from "vitest";
import type { ChatMessage } from "../../../src/core/chat.ts";
import { contract } from "./harness.ts";

const user = (text: string): ChatMessage => ({ role: "user", content: text });
const assistant = (text: string): ChatMessage => ({ role: "assistant", content: text });

contract("sessions", (h) => {
  it("appends and reads back every kind of message exactly, with ids rising across sessions", async () => {
    const toolCall: ChatMessage = { role: "assistant", content: "", tool_calls: [{ id: "c1", type: "function", function: { name: "web_fetch", arguments: '{"url":"https://example.org"}' } }] } as ChatMessage;
    const toolResult: ChatMessage = { role: "tool", tool_call_id: "c1", content: "é ✓ \u0000 nul" } as ChatMessage;
    const image: ChatMessage = { role: "user", content: [{ type: "text", text: "look" }, { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } }] } as ChatMessage;
    const a = await h.store.sessions.append("s1", [user("hi"), toolCall, toolResult, image], 1000);
    const b = await h.store.sessions.append("s2", [user("other")], 1001);
    const c = await h.store.sessions.append("s1", [assistant("done")], 1002);
    const ids = [...a, ...b, ...c].map((m) => m.id);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(new Set(ids).size).toBe(6);
    const history = await h.store.sessions.history("s1");
    expect(history.map((m) => m.message)).toEqual([user("hi"), toolCall, toolResult, image, assistant("done")]);
    expect(history.map((m) => m.id)).toEqual([...a, ...c].map((m) => m.id));
    expect(history[0]!.createdAt).toBe(1000);
    expect(await h.store.sessions.getSession("s1")).toMatchObject({ key: "s1", createdAt: 1000, updatedAt: 1002, summary: "", messageCount: 5 });
  });

  it("an unknown session has no record and no history; a turn with no messages creates it", async () => {
    expect(await h.store.sessions.getSession("nobody")).toBeUndefined();
    expect(await h.store.sessions.history("nobody")).toEqual([]);
    await h.store.sessions.saveTurn("t1", { channel: "telegram", chatId: "42", messages: [], now: 5 });
    expect(await h.store.sessions.getSession("t1")).toEqual({ key: "t1", createdAt: 5, updatedAt: 5, summary: "", channel: "telegram", chatId: "42", messageCount: 0 });
  });

  it("compacts: older messages leave the history, the summary replaces them; an unknown session is left alone", async () => {
    const rows = await h.store.sessions.append("s1", [user("1"), assistant("2"), user("3"), assistant("4")], 10);
    await h.store.sessions.compact("s1", "they said 1 and 2", rows[2]!.id, 20);
    expect((await h.store.sessions.history("s1")).map((m) => m.message)).toEqual([user("3"), assistant("4")]);
    expect(await h.store.sessions.getSession("s1")).toMatchObject({ summary: "they said 1 and 2", messageCount: 2, updatedAt: 20 });
    await h.store.sessions.compact("ghost", "x", 99, 30);
    expect(await h.store.sessions.getSession("ghost")).toBeUndefined();
  });

  it("drops a summary whose history was taken meanwhile: by a /reset, or by a compaction that got there first", async () => {
    const rows = await h.store.sessions.append("s1", [user("1"), assistant("2"), user("3"), assistant("4")], 10);
    // a /reset lands while the summary of 1-2 is being written; the new session's first message follows
    await h.store.sessions.reset("s1", 11);
    await h.store.sessions.append("s1", [user("after the reset")], 12);
    expect(await h.store.sessions.compact("s1", "they said 1 and 2", rows[2]!.id, 13)).toBe(false);
    expect(await h.store.sessions.getSession("s1")).toMatchObject({ summary: "", messageCount: 1 });
    expect((await h.store.sessions.history("s1")).map((m) => m.message)).toEqual([user("after the reset")]);
    // two compactions read the same history; the second one to finish covers nothing the first left
    const two = await h.store.sessions.append("s2", [user("a"), assistant("b"), user("c")], 20);
    expect(await h.store.sessions.compact("s2", "first summary", two[2]!.id, 21)).toBe(true);
    expect(await h.store.sessions.compact("s2", "second summary", two[2]!.id, 22)).toBe(false);
    expect(await h.store.sessions.getSession("s2")).toMatchObject({ summary: "first summary", messageCount: 1, updatedAt: 21 });
  });

  it("reset starts a new generation: empty history, no summary, no token figure", async () => {
    const old = await h.store.sessions.append("s1", [user("old"), assistant("reply")], 10);
    expect(await h.store.sessions.compact("s1", "sum", old[1]!.id, 11)).toBe(true);
    expect((await h.store.sessions.getSession("s1"))?.summary).toBe("sum");
    await h.store.sessions.saveTurn("s1", { promptTokens: 1234, model: "m1", messages: [], now: 12 });
    await h.store.sessions.reset("s1", 13);
    expect(await h.store.sessions.history("s1")).toEqual([]);
    const s = await h.store.sessions.getSession("s1");
    expect(s).toMatchObject({ summary: "", messageCount: 0, updatedAt: 13, lastModel: "m1" });
    expect(s?.lastPromptTokens).toBeUndefined();
    await h.store.sessions.append("s1", [user("new")], 14);
    expect((await h.store.sessions.history("s1")).map((m) => m.message)).toEqual([user("new")]);
    // a reset of an unknown session creates it empty (a /new as the first message)
    await h.store.sessions.reset("fresh", 20);
    expect(await h.store.sessions.getSession("fresh")).toMatchObject({ createdAt: 20, messageCount: 0 });
  });

  it("tells onSessionWrite listeners of every session written, inside a transaction too, until they stop listening", async () => {
    const heard: string[] = [];
    const stop = h.store.onSessionWrite((key) => heard.push(key));
    await h.store.sessions.saveTurn("a", { messages: [user("1")], now: 1 });
    await h.store.sessions.append("b", [user("1")], 2);
    await h.store.sessions.reset("c", 3);
    await h.store.transaction(async (tx) => {
      await tx.sessions.saveTurn("d", { messages: [], now: 4 });
    });
    await h.store.sessions.turnContext("a"); // reads are not writes
    stop();
    await h.store.sessions.saveTurn("e", { messages: [], now: 5 });
    expect(heard).toEqual(["a", "b", "c", "d"]);
  });

  it("lists the most recently active sessions first, up to the limit", async () => {
    await h.store.sessions.append("a", [user("1")], 1);
    await h.store.sessions.append("b", [user("1"), user("2")], 3);
    await h.store.sessions.append("c", [user("1")], 2);
    const all = await h.store.sessions.listSessions();
    expect(all.map((s) => [s.key, s.messageCount])).toEqual([
      ["b", 2],
      ["c", 1],
      ["a", 1],
    ]);
    expect((await h.store.sessions.listSessions(2)).map((s) => s.key)).toEqual(["b", "c"]);
  });

  it("append is all or nothing inside a transaction that fails", async () => {
    await h.store.sessions.append("s1", [user("kept")], 1);
    await expect(
      h.store.transaction(async (tx) => {
        await tx.sessions.append("s1", [user("lost 1"), user("lost 2")], 2);
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect((await h.store.sessions.history("s1")).map((m) => m.message)).toEqual([user("kept")]);
  });

  it("two connections appending to one session keep one order and lose nothing", async () => {
    const other = await h.another();
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 ? other : h.store).sessions.append("shared", [user(`${i}a`), assistant(`${i}b`)], 100 + i)),
    );
    const history = await h.store.sessions.history("shared");
    expect(history).toHaveLength(16);
    // each append's pair stays together and in order
    for (let i = 0; i < 16; i += 2) {
      const a = (history[i]!.message as { content: string }).content;
      expect((history[i + 1]!.message as { content: string }).content).toBe(a.replace("a", "b"));
    }
  });
  it("turnContext reads summary and active history at once: nothing for an unknown session, an empty history for a bare one", async () => {
    expect(await h.store.sessions.turnContext("nobody")).toBeUndefined();
    await h.store.sessions.saveTurn("bare", { messages: [], now: 1 });
    expect(await h.store.sessions.turnContext("bare")).toEqual({ summary: "", history: [] });
    const rows = await h.store.sessions.append("s1", [user("1"), assistant("2"), user("3"), assistant("4")], 10);
    await h.store.sessions.compact("s1", "earlier", rows[2]!.id, 11);
    const ctx = await h.store.sessions.turnContext("s1");
    expect(ctx?.summary).toBe("earlier");
    expect(ctx?.history).toEqual(await h.store.sessions.history("s1"));
    expect(ctx?.history.map((m) => m.message)).toEqual([user("3"), assistant("4")]);
    await h.store.sessions.reset("s1", 12);
    expect(await h.store.sessions.turnContext("s1")).toEqual({ summary: "", history: [] });
  });

  it("saveTurn creates the session with its chat and usage, appends in order with rising ids, and keeps what a later turn leaves out", async () => {
    const many = Array.from({ length: 40 }, (_, i) => (i % 2 ? assistant(`a${i}`) : user(`u${i}`)));
    const first = await h.store.sessions.saveTurn("t1", { channel: "telegram", chatId: "42", messages: many, promptTokens: 321, model: "m#0", now: 5 });
    expect(first.map((m) => m.message)).toEqual(many);
    const ids = first.map((m) => m.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(await h.store.sessions.history("t1")).toEqual(first);
    expect(await h.store.sessions.getSession("t1")).toEqual({
      key: "t1", createdAt: 5, updatedAt: 5, summary: "", channel: "telegram", chatId: "42", messageCount: 40, lastPromptTokens: 321, lastModel: "m#0",
    });
    const second = await h.store.sessions.saveTurn("t1", { messages: [user("again"), assistant("yes")], now: 9 });
    expect(second[0]!.id).toBeGreaterThan(ids.at(-1)!);
    expect(await h.store.sessions.getSession("t1")).toMatchObject({ createdAt: 5, updatedAt: 9, channel: "telegram", chatId: "42", messageCount: 42, lastPromptTokens: 321, lastModel: "m#0" });
    await h.store.sessions.saveTurn("t1", { channel: "discord", chatId: "7", messages: [], promptTokens: 9, model: "m#1", now: 10 });
    expect(await h.store.sessions.getSession("t1")).toMatchObject({ channel: "discord", chatId: "7", messageCount: 42, lastPromptTokens: 9, lastModel: "m#1" });
  });

  it("saveTurn after a reset writes to the new generation; inside a failed transaction it leaves nothing", async () => {
    await h.store.sessions.saveTurn("s1", { messages: [user("old")], now: 1 });
    await h.store.sessions.reset("s1", 2);
    await h.store.sessions.saveTurn("s1", { messages: [user("new")], now: 3 });
    expect((await h.store.sessions.history("s1")).map((m) => m.message)).toEqual([user("new")]);
    await expect(
      h.store.transaction(async (tx) => {
        await tx.sessions.saveTurn("s1", { messages: [user("lost 1"), assistant("lost 2")], model: "x", now: 4 });
        await tx.sessions.saveTurn("s2", { messages: [user("lost 3")], now: 4 });
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect((await h.store.sessions.history("s1")).map((m) => m.message)).toEqual([user("new")]);
    expect(await h.store.sessions.getSession("s1")).toMatchObject({ updatedAt: 3 });
    expect(await h.store.sessions.getSession("s2")).toBeUndefined();
  });
});
