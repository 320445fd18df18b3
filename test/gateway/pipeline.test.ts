import { describe, expect, it } from "vitest";
import { sqliteBackend } from "../../src/store/sqlite-backend.ts";
import { ChannelError, type InboundMessage } from "../../src/core/channel.ts";
import type { GatewayTurnInput } from "../../src/gateway/pipeline.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { Outbox } from "../../src/gateway/outbox.ts";
import { openStore } from "../../src/store/index.ts";
import { MemoryAdapter, setupPipeline, until, useCleanup } from "./pipeline-helpers.ts";

const cleanup = useCleanup();

function setup(runTurn: (i: GatewayTurnInput) => Promise<{ text: string; media: [] }>, allow: string[] = ["u1"]) {
  return setupPipeline(cleanup, runTurn, { allow });
}

const msg = (id: string, text: string, over: Partial<InboundMessage> = {}): InboundMessage => ({
  channel: "test", chatId: "c1", chatType: "direct", messageId: id, senderId: "u1", text, ...over,
});

describe("pipeline", () => {
  it("gathers messages that arrive during a turn into the session's next turn", async () => {
    const turns: string[] = [];
    let release!: () => void;
    const first = new Promise<void>((r) => (release = r));
    const { pipeline, adapter } = setup(async (i) => {
      turns.push(i.text);
      if (turns.length === 1) await first;
      return { text: `re: ${i.text}`, media: [] };
    });
    await pipeline.accept(msg("1", "one"));
    await until(() => turns.length === 1);
    await pipeline.accept(msg("2", "two"));
    await pipeline.accept(msg("3", "three"));
    release();
    await until(() => adapter.sent.length === 2);
    expect(turns).toEqual(["one", "two\n\nthree"]);
    expect(adapter.sent.map((s) => s.chunk.text)).toEqual(["re: one", "re: two\n\nthree"]);
  });

  it("ignores a redelivered message", async () => {
    let turns = 0;
    const { pipeline, adapter } = setup(async () => (turns++, { text: "hi", media: [] }));
    await pipeline.accept(msg("1", "x"));
    await until(() => adapter.sent.length === 1);
    await pipeline.accept(msg("1", "x"));
    await new Promise((r) => setTimeout(r, 50));
    expect(turns).toBe(1);
  });

  it("chunks long replies to the channel's limit, without a typing indicator for a quick turn", async () => {
    const { pipeline, adapter } = setup(async () => ({ text: "word ".repeat(100).trim(), media: [] }));
    await pipeline.accept(msg("1", "long please"));
    await until(() => adapter.sent.length >= 5);
    for (const s of adapter.sent) expect(s.chunk.text.length).toBeLessThanOrEqual(100);
    expect(adapter.sent.map((s) => s.chunk.text).join(" ")).toBe("word ".repeat(100).trim());
    expect(adapter.typingCalls).toBe(0);
  });

  it("shows typing while a slow turn runs", async () => {
    let adapterRef!: MemoryAdapter;
    const { pipeline, adapter } = setupPipeline(
      cleanup,
      async () => {
        // the turn is slow until the person has seen "typing…"
        await until(() => adapterRef.typingCalls > 0, "typing indicator");
        return { text: "done", media: [] };
      },
      { allow: ["u1"], typingAfterMs: 20 },
    );
    adapterRef = adapter;
    await pipeline.accept(msg("1", "think hard"));
    await until(() => adapter.sent.length === 1);
    expect(adapter.typingCalls).toBeGreaterThan(0);
  });

  it("tells the user in one sentence when no model could answer, and keeps going", async () => {
    const { SwitchboardError } = await import("../../src/core/errors.ts");
    const { pipeline, adapter, store } = setup(async () => {
      throw new SwitchboardError("all_candidates_failed", "all 2 attempts failed");
    });
    await pipeline.accept(msg("1", "hello"));
    await until(() => adapter.sent.length === 1);
    expect(adapter.sent[0]!.chunk.text).toMatch(/none of my models could answer/);
    expect(store.delivery.pendingInbound()).toEqual([]);
  });

  it("drops group chatter that does not address the bot", async () => {
    let turns = 0;
    const { pipeline } = setup(async () => (turns++, { text: "x", media: [] }));
    await pipeline.accept(msg("1", "just chatting", { chatType: "group", chatId: "g1" }));
    expect(turns).toBe(0);
  });

  it("sends strangers a pairing code and never runs a turn for them", async () => {
    let turns = 0;
    const { pipeline, adapter, store } = setup(async () => (turns++, { text: "x", media: [] }), []);
    await pipeline.accept(msg("1", "hi", { senderId: "eve" }));
    await until(() => adapter.sent.length === 1);
    expect(adapter.sent[0]!.chunk.text).toMatch(/pairing code is [A-Z0-9]{8}/);
    expect(turns).toBe(0);
    expect(store.pairing.listRequests(Date.now())).toHaveLength(1);
  });
});

describe("outbox", () => {
  it("waits out the platform's retry_after, then delivers in order", async () => {
    const { store, adapter, outbox } = setup(async () => ({ text: "", media: [] }));
    adapter.failures.push(new ChannelError("rate_limited", "429", { retryAfterMs: 150 }));
    store.delivery.enqueueReply({ channel: "test", chatId: "c1", replyId: "r", chunks: [{ text: "a", format: "plain" }, { text: "b", format: "plain" }], answers: [], now: Date.now() });
    outbox.kick("test");
    await new Promise((r) => setTimeout(r, 60));
    expect(adapter.sent).toEqual([]);
    await until(() => adapter.sent.length === 2);
    expect(adapter.sent.map((s) => s.chunk.text)).toEqual(["a", "b"]);
    outbox.close();
  });

  it("keeps a chunk that can never be sent as a dead letter and lets other replies through", async () => {
    const { store, adapter, outbox } = setup(async () => ({ text: "", media: [] }));
    adapter.failures.push(new ChannelError("permanent", "chat not found"));
    store.delivery.enqueueReply({ channel: "test", chatId: "gone", replyId: "r1", chunks: [{ text: "lost", format: "plain" }], answers: [], now: Date.now() });
    store.delivery.enqueueReply({ channel: "test", chatId: "c1", replyId: "r2", chunks: [{ text: "fine", format: "plain" }], answers: [], now: Date.now() });
    outbox.kick("test");
    await until(() => adapter.sent.length === 1);
    expect(adapter.sent[0]!.chunk.text).toBe("fine");
    expect(store.delivery.deadLetters()).toMatchObject([{ chatId: "gone", state: "dead", lastError: "chat not found" }]);
    outbox.close();
  });

  it("on rejected credentials tells the supervisor and keeps the chunk for when the channel is back", async () => {
    const store = openStore(":memory:");
    cleanup.stores.push(store);
    const adapter = new MemoryAdapter();
    const reported: string[] = [];
    // one attempt allowed: any other failure would make the chunk a dead letter at once
    const outbox = new Outbox({ delivery: sqliteBackend(store).delivery, adapter: () => adapter, logger: silentLogger(), quickRetries: 2, maxAttempts: 1, authFailed: (ch, m) => reported.push(`${ch}: ${m}`) });
    cleanup.outboxes.push(outbox);
    adapter.failures.push(new ChannelError("auth", "token rejected: check channels.test.token"));
    store.delivery.enqueueReply({ channel: "test", chatId: "c1", replyId: "r", chunks: [{ text: "later", format: "plain" }], answers: [], now: Date.now() });
    outbox.kick("test");
    await until(() => reported.length === 1);
    expect(reported).toEqual(["test: token rejected: check channels.test.token"]);
    expect(store.delivery.deadLetters()).toEqual([]);
    expect(store.delivery.pendingOutbound(Number.MAX_SAFE_INTEGER, "test")).toHaveLength(1);
    // not retried on the spot either: the quick retries are for transient failures only
    expect(adapter.sent).toEqual([]);
  });
});
