// A streamed reply against the real Telegram adapter and the fake Bot API
// (which refuses edits faster than about one a second per chat with 429, as
// Telegram does): the message appears while the model is still writing,
// grows by edits at the platform's pace, continues in a new message past
// the length limit with its code block intact, shows a status line while
// tools run, and ends with the final text the outbox brings.
import { afterEach, describe, expect, it } from "vitest";
import type { ChannelAdapter, OutboundChunk } from "../../src/core/channel.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { LiveReplies } from "../../src/gateway/live-replies.ts";
import { deliverFinal as deliverFinalTo, memoryKv } from "./live-reply-helpers.ts";
import { harness, until, type Harness } from "../channels/telegram/harness.ts";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const CHAT = "555";

function setup(kv = memoryKv(), adapter: () => ChannelAdapter = () => h.adapter) {
  const replies = new LiveReplies({ kv, adapter, mode: () => "edit", logger: silentLogger() });
  return { kv, replies };
}

const deliverFinal = (replies: LiveReplies, turnId: string, text: string, kv?: ReturnType<typeof memoryKv>) => deliverFinalTo(replies, h.adapter, CHAT, turnId, text, kv);

const visible = () => h.tg.sent.filter((m) => !m.deleted);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("live reply: streaming by edit on Telegram", () => {
  it("shows the answer while it is written, edits it at most about once a second, and ends with the full text", async () => {
    h = await harness();
    const { kv, replies } = setup();
    const live = (await replies.start("inbox:1", { channel: "telegram", chatId: CHAT }))!;
    const words = Array.from({ length: 36 }, (_, i) => `word${i} `);
    let pushed = 0;
    const writer = (async () => {
      for (const w of words) {
        live.push(w);
        pushed++;
        await sleep(100);
      }
    })();
    await until(() => h.tg.sent[0], 5000, "the first message");
    expect(pushed).toBeLessThan(words.length); // it appeared while the model was still writing
    // recorded as soon as Telegram answered (what a re-run after a crash edits)
    const recorded = await until(() => kv.peek<{ ids: string[] }>("live_reply:inbox:1")?.ids, 5000, "the recorded message id");
    expect(recorded).toEqual([String(h.tg.sent[0]!.message_id)]);
    await writer;
    const full = words.join("").trim();
    const final = await deliverFinal(replies, "inbox:1", full, kv);

    // the final reply edits the live message (or has nothing left to do when it shows the full text already)
    expect(final.every((c) => c.edits === String(h.tg.sent[0]!.message_id))).toBe(true);
    expect(visible()).toHaveLength(1);
    expect(h.tg.sent[0]!.text).toBe(full);
    const edits = h.tg.editBook.edits;
    expect(edits.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < edits.length; i++) {
      expect(edits[i]!.text.startsWith(edits[i - 1]!.text.trim())).toBe(true); // it only grows
      expect(edits[i]!.at - edits[i - 1]!.at).toBeGreaterThanOrEqual(900); // Telegram's pace per chat
    }
    expect(h.tg.editBook.floodRefusals).toBe(0);
    expect(kv.map.size).toBe(0);
  });

  it("waits as long as a 429 says before the next edit", async () => {
    h = await harness();
    const { replies } = setup();
    const live = (await replies.start("inbox:2", { channel: "telegram", chatId: CHAT }))!;
    live.push("first words");
    await until(() => h.tg.sent[0], 5000, "the first message");
    h.tg.failNext("editMessageText", { error_code: 429, description: "Too Many Requests: retry after 2", parameters: { retry_after: 2 } });
    live.push(" and more");
    await until(() => h.tg.calls.some((c) => c.method === "editMessageText") || undefined, 5000, "the refused edit");
    const refusedAt = Date.now();
    live.push(" and the rest");
    await until(() => h.tg.editBook.edits[0], 6000, "the edit after the wait");
    expect(h.tg.editBook.edits[0]!.at - refusedAt).toBeGreaterThanOrEqual(1900);
    expect(h.tg.editBook.edits[0]!.text).toBe("first words and more and the rest");
    await deliverFinal(replies, "inbox:2", "first words and more and the rest, done");
    expect(visible().map((m) => m.text)).toEqual(["first words and more and the rest, done"]);
  });

  it("continues past the length limit in a new message with the code block closed and reopened", async () => {
    h = await harness();
    const { replies } = setup();
    const live = (await replies.start("inbox:3", { channel: "telegram", chatId: CHAT }))!;
    const code = Array.from({ length: 300 }, (_, i) => `const v${i} = ${i};`).join("\n");
    const text = `Here is the file:\n\n\`\`\`ts\n${code}\n\`\`\`\n\nThat is all.`;
    live.push(text.slice(0, 2000));
    await until(() => h.tg.sent[0], 5000, "the first message");
    live.push(text.slice(2000));
    await until(() => h.tg.sent[1], 8000, "the second message");
    await deliverFinal(replies, "inbox:3", text);

    const shown = visible();
    expect(shown).toHaveLength(2);
    expect(shown[0]!.text).toMatch(/<pre><code class="language-ts">[\s\S]*<\/code><\/pre>$/);
    expect(shown[1]!.text).toMatch(/^<pre><code class="language-ts">/);
    expect(shown[1]!.text).toContain("That is all.");
    expect(h.tg.editBook.floodRefusals).toBe(0);
  });

  it("shows a status line while tools run, replaced by the answer", async () => {
    h = await harness();
    const { replies } = setup();
    const live = (await replies.start("inbox:4", { channel: "telegram", chatId: CHAT }))!;
    live.push("Let me look that up.");
    live.tools(["web_search"]);
    await until(() => h.tg.sent[0], 5000, "the status message");
    expect(h.tg.sent[0]!.text).toBe("<i>searching the web…</i>");
    live.push("\n\nIt is 42.");
    await until(() => h.tg.editBook.edits[0], 5000, "the answer replacing the status");
    expect(h.tg.editBook.edits[0]!.text).toBe("It is 42.");
    await deliverFinal(replies, "inbox:4", "It is 42, says the web.");
    expect(visible().map((m) => m.text)).toEqual(["It is 42, says the web."]);
  });

  it("a turn that runs again after a restart edits the message its first run left, and live parts the answer no longer needs are deleted", async () => {
    h = await harness();
    const first = await h.adapter.send(CHAT, { text: "partial answer of the first li", format: "markdown" });
    const second = await h.adapter.send(CHAT, { text: "more partial text", format: "markdown" });
    const kv = memoryKv();
    await kv.set("live_reply:inbox:5", { channel: "telegram", chatId: CHAT, ids: [first.messageId, second.messageId] });
    const { replies } = setup(kv);
    const live = (await replies.start("inbox:5", { channel: "telegram", chatId: CHAT }))!;
    live.push("The answer, written again");
    await until(() => h.tg.editBook.edits[0], 5000, "the old message edited");
    expect(h.tg.sent).toHaveLength(2); // nothing new was sent
    const final = await deliverFinal(replies, "inbox:5", "The answer, written again in full.");
    expect(final.map((c) => c.remove === true)).toEqual([false, true]); // the second live part is deleted
    expect(visible().map((m) => m.text)).toEqual(["The answer, written again in full."]);
  });

  it("the final text goes out as a new message when the live one cannot be edited any more, and the stale one is deleted", async () => {
    h = await harness();
    const { replies } = setup();
    const live = (await replies.start("inbox:6", { channel: "telegram", chatId: CHAT }))!;
    live.push("half an ans");
    await until(() => h.tg.sent[0], 5000, "the first message");
    h.tg.failNext("editMessageText", { error_code: 400, description: "Bad Request: message can't be edited" });
    await deliverFinal(replies, "inbox:6", "The whole answer.");
    expect(visible().map((m) => m.text)).toEqual(["The whole answer."]);
    expect(h.tg.sent[0]!.deleted).toBe(true);
  });

  it("a turn that fails after part of its answer was shown: the failure sentence replaces the partial answer", async () => {
    h = await harness();
    const { replies } = setup();
    const live = (await replies.start("inbox:8", { channel: "telegram", chatId: CHAT }))!;
    live.push("The answer begins like th");
    await until(() => h.tg.sent[0], 5000, "the first message");
    replies.end("inbox:8"); // the model failed; the pipeline answers with a failure sentence
    live.push("is, and more"); // nothing moves after the end
    await deliverFinal(replies, "inbox:8", "Sorry, the model could not answer just now.");
    expect(visible().map((m) => m.text)).toEqual(["Sorry, the model could not answer just now."]);
    expect(h.tg.editBook.edits.map((e) => e.text)).toEqual(["Sorry, the model could not answer just now."]);
  });

  it("a live message whose send was still under way when the reply was stored is edited to the answer, not left or duplicated", async () => {
    h = await harness();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let sending = false;
    // the platform has not answered the first send yet when the turn finishes
    const slow = Object.create(h.adapter, {
      send: { value: async (chatId: string, chunk: OutboundChunk) => ((sending = true), await held, h.adapter.send(chatId, chunk)) },
    }) as ChannelAdapter;
    const { replies } = setup(memoryKv(), () => slow);
    const live = (await replies.start("inbox:9", { channel: "telegram", chatId: CHAT }))!;
    live.push("The answer so f");
    await until(() => sending || undefined, 5000, "the first send under way");
    const final = deliverFinal(replies, "inbox:9", "The answer so far, and all of it.");
    release();
    expect((await final)[0]).toMatchObject({ edits: expect.any(String) });
    expect(h.tg.sent.map((m) => ({ text: m.text, deleted: m.deleted }))).toEqual([{ text: "The answer so far, and all of it.", deleted: undefined }]);
  });

  it("an answer complete within the first half second is sent whole, with no live message", async () => {
    h = await harness();
    const { replies } = setup();
    const live = (await replies.start("inbox:7", { channel: "telegram", chatId: CHAT }))!;
    live.push("Quick answer.");
    const final = await deliverFinal(replies, "inbox:7", "Quick answer.");
    expect(final).toEqual([{ text: "Quick answer.", format: "markdown" }]);
    expect(h.tg.sent.map((m) => m.text)).toEqual(["Quick answer."]);
    expect(h.tg.editBook.edits).toHaveLength(0);
  });
});
