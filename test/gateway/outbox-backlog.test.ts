// A backlog larger than one outbox page (the gateway fell behind the platform,
// or came back after an outage) goes out whole, in order, read page by page:
// the drain never holds every waiting reply in memory at once. Chats are sent
// to side by side, each in its own order.
import { describe, expect, it } from "vitest";
import { ChannelError, type OutboundChunk } from "../../src/core/channel.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { DRAIN_PAGE, Outbox } from "../../src/gateway/outbox.ts";
import { openStore } from "../../src/store/index.ts";
import { sqliteBackend } from "../../src/store/sqlite-backend.ts";
import { MemoryAdapter, until, useCleanup } from "./pipeline-helpers.ts";

const cleanup = useCleanup();

describe("outbox backlog", () => {
  it("sends a backlog of two and a half pages in order, never reading more than a page per query", async () => {
    const store = openStore(":memory:");
    cleanup.stores.push(store);
    const total = DRAIN_PAGE * 2 + DRAIN_PAGE / 2;
    // two replies per chat: the first must reach its chat before the second
    for (let i = 0; i < total; i++) {
      const chat = Math.floor(i / 2);
      store.delivery.enqueueReply({ channel: "test", chatId: `c${chat}`, replyId: `r${i}`, chunks: [{ text: `reply ${i}`, format: "plain" }], answers: [], now: 1 });
    }
    const backend = sqliteBackend(store);
    const pageSizes: number[] = [];
    const delivery = new Proxy(backend.delivery, {
      get(target, key, receiver) {
        if (key !== "pendingOutbound") return Reflect.get(target, key, receiver);
        return async (now: number, channel?: string, limit?: number) => {
          const page = await target.pendingOutbound(now, channel, limit);
          pageSizes.push(page.length);
          return page;
        };
      },
    });
    const adapter = new MemoryAdapter();
    const outbox = new Outbox({ delivery, adapter: () => adapter, logger: silentLogger() });
    cleanup.outboxes.push(outbox);
    outbox.kick("test");
    await until(() => adapter.sent.length === total, "the whole backlog to go out");
    expect(adapter.sent.map((s) => s.chunk.text).sort()).toEqual(Array.from({ length: total }, (_, i) => `reply ${i}`).sort());
    for (let chat = 0; chat < total / 2; chat++) {
      const inChat = adapter.sent.filter((s) => s.chatId === `c${chat}`).map((s) => s.chunk.text);
      expect(inChat).toEqual([`reply ${chat * 2}`, `reply ${chat * 2 + 1}`]);
    }
    expect(Math.max(...pageSizes)).toBe(DRAIN_PAGE);
    await until(() => store.delivery.counts().outboundPending === 0, "every chunk recorded as sent");
  });

  it("keeps sending to other chats while one chat's send hangs", async () => {
    const store = openStore(":memory:");
    cleanup.stores.push(store);
    store.delivery.enqueueReply({ channel: "test", chatId: "slow", replyId: "r-slow", chunks: [{ text: "to the slow chat", format: "plain" }], answers: [], now: 1 });
    for (let i = 0; i < 3; i++) {
      store.delivery.enqueueReply({ channel: "test", chatId: `c${i}`, replyId: `r${i}`, chunks: [{ text: `reply ${i}`, format: "plain" }], answers: [], now: 1 });
    }
    let release!: () => void;
    const hang = new Promise<void>((r) => (release = r));
    class SlowChat extends MemoryAdapter {
      override async send(chatId: string, chunk: OutboundChunk): Promise<{ messageId: string }> {
        if (chatId === "slow") await hang;
        return super.send(chatId, chunk);
      }
    }
    const adapter = new SlowChat();
    const outbox = new Outbox({ delivery: sqliteBackend(store).delivery, adapter: () => adapter, logger: silentLogger() });
    cleanup.outboxes.push(outbox);
    outbox.kick("test");
    await until(() => adapter.sent.length === 3, "the other chats' replies to go out while one chat hangs");
    expect(adapter.sent.map((s) => s.chatId).sort()).toEqual(["c0", "c1", "c2"]);
    release();
    await until(() => adapter.sent.length === 4, "the slow chat's reply once its send returns");
  });

  it("ends a drain whose whole page belongs to a reply that just failed for good, instead of reading the page again and again", async () => {
    const store = openStore(":memory:");
    cleanup.stores.push(store);
    const chunks = Array.from({ length: DRAIN_PAGE + 2 }, (_, i) => ({ text: `part ${i}`, format: "plain" }));
    store.delivery.enqueueReply({ channel: "test", chatId: "gone", replyId: "r-long", chunks, answers: [], now: 1 });
    let reads = 0;
    const backend = sqliteBackend(store);
    const delivery = new Proxy(backend.delivery, {
      get(target, key, receiver) {
        if (key !== "pendingOutbound") return Reflect.get(target, key, receiver);
        return (now: number, channel?: string, limit?: number) => {
          reads++;
          return target.pendingOutbound(now, channel, limit);
        };
      },
    });
    const adapter = new MemoryAdapter();
    adapter.failures.push(new ChannelError("permanent", "chat not found"));
    const outbox = new Outbox({ delivery, adapter: () => adapter, logger: silentLogger() });
    cleanup.outboxes.push(outbox);
    outbox.kick("test");
    await until(() => store.delivery.deadLetters().length === 1, "the first part to become a dead letter");
    await outbox.flush(10_000);
    // the first page, then the page of the failed reply's other parts, which are all held back: no third read
    expect(reads).toBeLessThanOrEqual(2);
    expect(adapter.sent).toEqual([]);
  });
});
