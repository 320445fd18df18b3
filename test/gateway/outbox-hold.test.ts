// A streamed turn's reply is held back from the outbox while its live
// message is still being sent or edited. A quick answer streamed nothing:
// there is nothing to wait for, and its reply goes out in the one drain its
// commit starts (holding it anyway cost a second drain, an outbox read more,
// on every message).
import { describe, expect, it } from "vitest";
import type { OutboundChunk } from "../../src/core/channel.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { LiveReplies } from "../../src/gateway/live-replies.ts";
import { Outbox } from "../../src/gateway/outbox.ts";
import { openStore } from "../../src/store/index.ts";
import { sqliteBackend } from "../../src/store/sqlite-backend.ts";
import type { AsyncDeliveryStore } from "../../src/store/backend.ts";
import { memoryKv } from "./live-reply-helpers.ts";
import { MemoryAdapter, until, useCleanup } from "./pipeline-helpers.ts";

const cleanup = useCleanup();

class EditingAdapter extends MemoryAdapter {
  override readonly capabilities = { maxTextLength: 4000, format: "plain" as const, typing: true, edit: true, voiceIn: false };
  readonly edits: { messageId: string; chunk: OutboundChunk }[] = [];
  /** sends wait for this while set (a platform slow to answer) */
  gate: Promise<void> | undefined;
  async edit(_chatId: string, messageId: string, chunk: OutboundChunk): Promise<void> {
    this.edits.push({ messageId, chunk });
  }
  override async send(chatId: string, chunk: OutboundChunk): Promise<{ messageId: string }> {
    await this.gate;
    return super.send(chatId, chunk);
  }
}

/** the pipeline's steps for one turn: stream `text`, store the reply bound to the live message in a transaction, kick after COMMIT */
function setup() {
  const store = openStore(":memory:");
  cleanup.stores.push(store);
  const backend = sqliteBackend(store);
  let reads = 0;
  const delivery: AsyncDeliveryStore = Object.create(backend.delivery, {
    pendingOutbound: { value: (...a: Parameters<AsyncDeliveryStore["pendingOutbound"]>) => (reads++, backend.delivery.pendingOutbound(...a)) },
  });
  const adapter = new EditingAdapter();
  const outbox = new Outbox({ delivery, adapter: () => adapter, logger: silentLogger() });
  cleanup.outboxes.push(outbox);
  const replies = new LiveReplies({ kv: memoryKv(), adapter: () => adapter, mode: () => "edit", logger: silentLogger() });
  const answer = async (turnId: string, text: string) => {
    await backend.transaction(async (tx) => {
      const bound = await replies.finish(turnId, [{ text, format: "plain" }], tx.kv, false);
      outbox.hold(turnId, "test", bound.ready);
      await tx.delivery.enqueueReply({ channel: "test", chatId: "c1", replyId: turnId, chunks: bound.chunks, answers: [], now: Date.now() });
    });
    outbox.kick("test");
  };
  return { store, adapter, outbox, replies, answer, reads: () => reads };
}

describe("a streamed turn's reply and the outbox", () => {
  it("a quick answer that streamed nothing goes out in the drain its commit starts: one outbox read", async () => {
    const { store, adapter, replies, answer, reads } = setup();
    const live = (await replies.start("inbox:1", { channel: "test", chatId: "c1" }, false))!;
    live.push("Quick answer."); // within the first half second: nothing is shown live
    await answer("inbox:1", "Quick answer.");
    await until(() => store.delivery.counts().outboundPending === 0, "the reply sent and recorded");
    expect(adapter.sent.map((s) => s.chunk.text)).toEqual(["Quick answer."]);
    expect(reads()).toBe(1);
  });

  it("a reply whose live message is still being sent waits for it, then edits it into the answer", async () => {
    const { store, adapter, replies, answer } = setup();
    let release!: () => void;
    adapter.gate = new Promise<void>((r) => (release = r));
    const live = (await replies.start("inbox:2", { channel: "test", chatId: "c1" }, false))!;
    // a first send goes out once the first half second of output has passed
    live.push("The answer so f");
    await until(() => !live.idle, "the live message's send under way", 5000);
    await answer("inbox:2", "The answer so far, and all of it.");
    expect(adapter.sent).toHaveLength(0); // held: the live message has no id yet
    release();
    await until(() => store.delivery.counts().outboundPending === 0, "the reply sent and recorded");
    expect(adapter.sent.map((s) => s.chunk.text)).toEqual(["The answer so f"]);
    expect(adapter.edits).toEqual([{ messageId: "1", chunk: expect.objectContaining({ text: "The answer so far, and all of it." }) }]);
  });
});
