// The record of a turn's live messages (kv live_reply:<turn>) is read only
// when the turn may have run before: after a restart the re-run still edits
// the message the crashed run left in the chat, while a turn over messages
// this process stored itself costs no read. With a store other gateways
// share, every turn reads it.
import { describe, expect, it } from "vitest";
import type { OutboundChunk } from "../../src/core/channel.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { AllowList } from "../../src/gateway/access.ts";
import { LiveReplies } from "../../src/gateway/live-replies.ts";
import { Outbox } from "../../src/gateway/outbox.ts";
import { Pipeline, type GatewayTurnInput, type GatewayTurnResult } from "../../src/gateway/pipeline.ts";
import type { AsyncKvStore } from "../../src/store/backend.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { sqliteBackend } from "../../src/store/sqlite-backend.ts";
import { MemoryAdapter, until, useCleanup } from "./pipeline-helpers.ts";

const cleanup = useCleanup();

/** a channel that edits messages, as Telegram does */
class EditingAdapter extends MemoryAdapter {
  readonly edits: { messageId: string; text: string }[] = [];
  constructor() {
    super(4000);
    this.capabilities.edit = true;
  }
  async edit(_chatId: string, messageId: string, chunk: OutboundChunk): Promise<void> {
    this.edits.push({ messageId, text: chunk.text });
  }
}

/** the backend's kv, counting the live-reply records it is asked for */
function countingKv(kv: AsyncKvStore) {
  const reads: string[] = [];
  const counted: AsyncKvStore = {
    get: (key) => {
      if (key.startsWith("live_reply:")) reads.push(key);
      return kv.get(key);
    },
    set: (key, value, now) => kv.set(key, value, now),
    delete: (key) => kv.delete(key),
  };
  return { kv: counted, reads };
}

/** the answer, saved like the agent saves it (no transaction of its own here) */
async function answer(i: GatewayTurnInput): Promise<GatewayTurnResult> {
  const result = { text: `re: ${i.text}`, media: [] as [] };
  await i.onCommit?.(result, undefined);
  i.onCommitted?.(result);
  return result;
}

function start(store: Store, adapter: EditingAdapter, sharedStore = false) {
  const backend = sqliteBackend(store);
  const counting = countingKv(backend.kv);
  const outbox = new Outbox({ delivery: backend.delivery, adapter: () => adapter, logger: silentLogger(), quickRetries: 0 });
  cleanup.outboxes.push(outbox);
  const pipeline = new Pipeline({
    store: { ...backend, kv: counting.kv },
    outbox,
    adapter: () => adapter,
    policy: () => ({ allowFrom: new AllowList(["*"]) }),
    sessionKey: (m) => `test:dm:${m.senderId}`,
    runTurn: answer,
    logger: silentLogger(),
    sharedStore,
    live: new LiveReplies({ kv: counting.kv, adapter: () => adapter, mode: () => "edit", logger: silentLogger() }),
  });
  return { pipeline, reads: counting.reads };
}

const msg = (id: string, text: string) => ({ channel: "test", chatId: "c1", chatType: "direct" as const, messageId: id, senderId: "u1", text });

describe("reading a turn's live-reply record", () => {
  it("a turn re-run after a restart edits the live message its first run left; a fresh turn reads nothing", async () => {
    const store = openStore(":memory:");
    cleanup.stores.push(store);
    // the previous life stored the message and streamed one live message before it died
    const row = store.delivery.acceptInbound({ channel: "test", chatId: "c1", messageId: "m1", sessionKey: "test:dm:u1", senderId: "u1", payload: { text: "before the crash", chatType: "direct" }, receivedAt: 1 })!;
    store.kv.set(`live_reply:inbox:${row.id}`, { channel: "test", chatId: "c1", ids: ["live-1"] });

    const adapter = new EditingAdapter();
    const { pipeline, reads } = start(store, adapter);
    await pipeline.recover();
    await until(() => adapter.edits.length === 1, "the re-run's answer");
    expect(adapter.edits).toEqual([{ messageId: "live-1", text: "re: before the crash" }]);
    expect(adapter.sent).toEqual([]);
    expect(reads).toEqual([`live_reply:inbox:${row.id}`]);
    expect(store.kv.get(`live_reply:inbox:${row.id}`)).toBeUndefined(); // dropped with the stored reply

    await pipeline.accept(msg("m2", "after the restart"));
    await until(() => adapter.sent.length === 1, "the fresh turn's answer");
    expect(adapter.sent[0]!.chunk.text).toBe("re: after the restart");
    expect(reads).toHaveLength(1); // no read for a turn this process stored itself
  });

  it("reads the record of every turn when other gateways share the store", async () => {
    const store = openStore(":memory:");
    cleanup.stores.push(store);
    const adapter = new EditingAdapter();
    const { pipeline, reads } = start(store, adapter, true);
    await pipeline.accept(msg("m1", "hello"));
    await until(() => adapter.sent.length === 1, "the answer");
    expect(reads).toHaveLength(1);
  });
});
