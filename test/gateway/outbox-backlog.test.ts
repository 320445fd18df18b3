// A backlog larger than one outbox page (the gateway fell behind the platform,
// or came back after an outage) goes out whole, in order, read page by page:
// the drain never holds every waiting reply in memory at once.
import { describe, expect, it } from "vitest";
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
    for (let i = 0; i < total; i++) {
      store.delivery.enqueueReply({ channel: "test", chatId: `c${i}`, replyId: `r${i}`, chunks: [{ text: `reply ${i}`, format: "plain" }], answers: [], now: 1 });
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
    expect(adapter.sent.map((s) => s.chunk.text)).toEqual(Array.from({ length: total }, (_, i) => `reply ${i}`));
    expect(Math.max(...pageSizes)).toBe(DRAIN_PAGE);
    await until(() => store.delivery.counts().outboundPending === 0, "every chunk recorded as sent");
  });
});
