// A reply is queued in the same store transaction that records its turn as
// answered. Its chunks must not reach the platform before that transaction
// commits: a crash in between would leave a reply delivered for a turn the
// store still has as pending, and the restart would answer it again (seen
// in `npm run chaos` on the WhatsApp bridge, whose send writes to its socket
// without waiting).
import { describe, expect, it } from "vitest";
import { sqliteBackend } from "../../src/store/sqlite-backend.ts";
import type { OutboundChunk } from "../../src/core/channel.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { Outbox } from "../../src/gateway/outbox.ts";
import { openStore } from "../../src/store/index.ts";
import { MemoryAdapter, until, useCleanup } from "./pipeline-helpers.ts";

const cleanup = useCleanup();

class SyncWireAdapter extends MemoryAdapter {
  /** whether a store transaction was open when each chunk went out */
  readonly inTransaction: boolean[] = [];
  private readonly open: () => boolean;
  constructor(open: () => boolean) {
    super();
    this.open = open;
  }
  // like a WebSocket bridge: the frame is written before the first await
  override send(chatId: string, chunk: OutboundChunk): Promise<{ messageId: string }> {
    this.inTransaction.push(this.open());
    return super.send(chatId, chunk);
  }
}

describe("outbox and the transaction that queues a reply", () => {
  it("sends a chunk queued inside a transaction only after the transaction committed", async () => {
    const store = openStore(":memory:");
    cleanup.stores.push(store);
    const adapter = new SyncWireAdapter(() => store.db.isTransaction);
    const outbox = new Outbox({ delivery: sqliteBackend(store).delivery, adapter: () => adapter, logger: silentLogger() });
    cleanup.outboxes.push(outbox);
    await sqliteBackend(store).transaction(async (tx) => {
      await tx.delivery.enqueueReply({ channel: "test", chatId: "c1", replyId: "r1", chunks: [{ text: "answer", format: "plain" }], answers: [], now: Date.now() });
      outbox.kick("test");
      await new Promise((r) => setTimeout(r, 5)); // the transaction stays open a while: the outbox must wait for it
    });
    await until(() => adapter.sent.length === 1, "the chunk to go out");
    expect(adapter.inTransaction).toEqual([false]);
    await until(() => store.delivery.counts().outboundPending === 0, "the chunk recorded as sent");
  });
});
