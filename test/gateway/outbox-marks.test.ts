// A drain records what it sent in one statement per page, not one commit per
// chunk. The marks must still land (and survive a restart), each chunk with
// the platform's own message id, and a page whose mark the store refused is
// neither lost nor sent again while the process lives.
import { join } from "node:path";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/logger.ts";
import { Outbox } from "../../src/gateway/outbox.ts";
import type { AsyncDeliveryStore } from "../../src/store/backend.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { sqliteBackend } from "../../src/store/sqlite-backend.ts";
import type { SentMark } from "../../src/store/types.ts";
import { MemoryAdapter, until, useCleanup } from "./pipeline-helpers.ts";

const cleanup = useCleanup();
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function queue(store: Store, replies: number): void {
  for (let i = 0; i < replies; i++) {
    store.delivery.enqueueReply({ channel: "test", chatId: `c${i % 4}`, replyId: `r${i}`, chunks: [{ text: `reply ${i}`, format: "plain" }], answers: [], now: 1 });
  }
}

/** the store's delivery with every markSent call's marks noted (and the next `refuse` calls failing like a full disk) */
function watched(store: Store, refuse = 0): { delivery: AsyncDeliveryStore; marks: SentMark[][] } {
  const backend = sqliteBackend(store);
  const marks: SentMark[][] = [];
  const delivery = new Proxy(backend.delivery, {
    get(target, key, receiver) {
      if (key !== "markSent") return Reflect.get(target, key, receiver);
      return async (sent: SentMark[], now: number) => {
        if (refuse > 0) {
          refuse--;
          throw Object.assign(new Error("database or disk is full"), { errcode: 13 });
        }
        marks.push(sent);
        return target.markSent(sent, now);
      };
    },
  });
  return { delivery, marks };
}

describe("outbox sent marks", () => {
  it("marks every chunk a drain's page sent in one call, each with the id the platform gave it", async () => {
    const store = openStore(":memory:");
    cleanup.stores.push(store);
    queue(store, 10);
    const { delivery, marks } = watched(store);
    const adapter = new MemoryAdapter();
    const outbox = new Outbox({ delivery, adapter: () => adapter, logger: silentLogger() });
    cleanup.outboxes.push(outbox);
    outbox.kick("test");
    await until(() => store.delivery.counts().outboundPending === 0, "every chunk recorded as sent");
    expect(adapter.sent).toHaveLength(10);
    expect(marks.map((m) => m.length)).toEqual([10]);
    // the platform's id of each send is the one stored with its chunk
    const rows = store.db.prepare("SELECT chunk, platform_message_id AS pm FROM outbox ORDER BY id").all() as { chunk: string; pm: string }[];
    for (const r of rows) {
      const text = (JSON.parse(r.chunk) as { text: string }).text;
      expect(adapter.sent[Number(r.pm) - 1]!.chunk.text).toBe(text);
    }
  });

  it("a drain's marks survive a restart: nothing is sent again", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-marks-"));
    dirs.push(dir);
    const file = join(dir, "state.db");
    let store = openStore(file);
    queue(store, 6);
    const first = new MemoryAdapter();
    const outbox = new Outbox({ delivery: sqliteBackend(store).delivery, adapter: () => first, logger: silentLogger() });
    outbox.kick("test");
    await until(() => first.sent.length === 6, "the page to go out");
    await outbox.flush(5000);
    outbox.close();
    store.close();
    store = openStore(file);
    cleanup.stores.push(store);
    expect(store.delivery.counts().outboundPending).toBe(0);
    const second = new MemoryAdapter();
    const again = new Outbox({ delivery: sqliteBackend(store).delivery, adapter: () => second, logger: silentLogger() });
    cleanup.outboxes.push(again);
    again.kick();
    await again.flush(5000);
    expect(second.sent).toEqual([]);
  });

  it("a page whose mark the store refused is recorded by the next drain, and not one chunk goes out twice", async () => {
    const store = openStore(":memory:");
    cleanup.stores.push(store);
    queue(store, 5);
    const { delivery, marks } = watched(store, 1);
    const adapter = new MemoryAdapter();
    const outbox = new Outbox({ delivery, adapter: () => adapter, logger: silentLogger() });
    cleanup.outboxes.push(outbox);
    outbox.kick("test");
    await until(() => adapter.sent.length === 5, "the page to go out");
    await outbox.flush(5000);
    expect(store.delivery.counts().outboundPending).toBe(5); // sent, not recorded: held in memory
    outbox.kick("test");
    await until(() => store.delivery.counts().outboundPending === 0, "the held marks recorded");
    await outbox.flush(5000);
    expect(marks.map((m) => m.length)).toEqual([5]);
    expect(adapter.sent.map((s) => s.chunk.text).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `reply ${i}`));
  });
});
