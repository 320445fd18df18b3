// A kick that carries the chunks its transaction just stored sends them
// without reading the outbox back (a lone reply costs no "due" query), and
// loses nothing a query would have found: a drain already running reads the
// store once more after it, chunks held for a live message wait, and a fleet
// (another gateway may have sent them) always reads the store.
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/logger.ts";
import { Outbox } from "../../src/gateway/outbox.ts";
import type { OutboxFence } from "../../src/gateway/fleet-hooks.ts";
import type { AsyncDeliveryStore } from "../../src/store/backend.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { sqliteBackend } from "../../src/store/sqlite-backend.ts";
import type { OutboundRecord } from "../../src/store/types.ts";
import { MemoryAdapter, until, useCleanup } from "./pipeline-helpers.ts";

const cleanup = useCleanup();

function setup(opts: { fleet?: boolean; adapter?: MemoryAdapter } = {}) {
  const store: Store = openStore(":memory:");
  cleanup.stores.push(store);
  const backend = sqliteBackend(store);
  const reads = { due: 0 };
  const delivery = new Proxy(backend.delivery, {
    get(target, key, receiver) {
      if (key !== "pendingOutbound") return Reflect.get(target, key, receiver);
      return (...args: Parameters<AsyncDeliveryStore["pendingOutbound"]>) => {
        reads.due++;
        return target.pendingOutbound(...args);
      };
    },
  });
  const adapter = opts.adapter ?? new MemoryAdapter();
  // a fleet's fence that lets this gateway send everything, each chunk through the same store
  const fence: OutboxFence = { drains: () => true, send: (_channel, fn) => fn(delivery) };
  const outbox = new Outbox({ delivery, adapter: () => adapter, logger: silentLogger(), ...(opts.fleet ? { fence } : {}) });
  cleanup.outboxes.push(outbox);
  let n = 0;
  const store1 = (chatId: string, text: string): OutboundRecord[] =>
    store.delivery.enqueueReply({ channel: "test", chatId, replyId: `r${++n}`, chunks: [{ text, format: "plain" }], answers: [], now: Date.now() });
  return { store, outbox, adapter, reads, queue: store1 };
}

const texts = (a: MemoryAdapter) => a.sent.map((s) => s.chunk.text);

describe("outbox kick with the chunks just stored", () => {
  it("sends a lone reply without reading the outbox, and records it as sent", async () => {
    const { store, outbox, adapter, reads, queue } = setup();
    outbox.kick("test", queue("c1", "hello"));
    await until(() => store.delivery.counts().outboundPending === 0, "the chunk recorded as sent");
    expect(texts(adapter)).toEqual(["hello"]);
    expect(reads.due).toBe(0);
  });

  it("sends the replies of kicks made before the drain began (one group commit's turns) in that drain, still without a read", async () => {
    const { store, outbox, adapter, reads, queue } = setup();
    outbox.kick("test", queue("c1", "one"));
    outbox.kick("test", queue("c2", "two"));
    outbox.kick("test", queue("c1", "three"));
    await until(() => store.delivery.counts().outboundPending === 0, "every chunk recorded as sent");
    expect(texts(adapter).sort()).toEqual(["one", "three", "two"]);
    // a chat's replies in the order they were stored
    expect(adapter.sent.filter((s) => s.chatId === "c1").map((s) => s.chunk.text)).toEqual(["one", "three"]);
    expect(reads.due).toBe(0);
  });

  it("reads the store when a kick without chunks joins one with them before the drain began", async () => {
    const { store, outbox, adapter, reads, queue } = setup();
    queue("c9", "stored elsewhere"); // say, by a cron job, whose kick carries no chunks
    outbox.kick("test", queue("c1", "reply"));
    outbox.kick("test");
    await until(() => store.delivery.counts().outboundPending === 0, "every chunk sent");
    expect(texts(adapter).sort()).toEqual(["reply", "stored elsewhere"]);
    expect(reads.due).toBeGreaterThan(0);
  });

  it("reads the store once more when a drain of the channel is already running, so nothing queued meanwhile waits", async () => {
    const adapter = new MemoryAdapter();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const send = adapter.send.bind(adapter);
    let first = true;
    adapter.send = async (chatId, chunk) => {
      if (first) {
        first = false;
        await gate; // the first send is slow: the drain stays running
      }
      return send(chatId, chunk);
    };
    const { store, outbox, reads, queue } = setup({ adapter });
    outbox.kick("test", queue("c1", "first"));
    await until(() => !first, "the first send under way");
    // stored by another path (no kick of its own) while the drain runs, then a kick with a reply's rows
    queue("c2", "stored meanwhile");
    outbox.kick("test", queue("c3", "third"));
    release();
    await until(() => store.delivery.counts().outboundPending === 0, "every chunk sent");
    expect(texts(adapter).sort()).toEqual(["first", "stored meanwhile", "third"]);
    expect(reads.due).toBeGreaterThan(0);
  });

  it("keeps a reply held for its live message back, and sends it once released", async () => {
    const { store, outbox, adapter, queue } = setup();
    let release!: () => void;
    const rows = queue("c1", "streamed");
    outbox.hold(rows[0]!.replyId, "test", new Promise((r) => (release = () => r(undefined))));
    outbox.kick("test", rows);
    await new Promise((r) => setTimeout(r, 50));
    expect(texts(adapter)).toEqual([]);
    release();
    await until(() => store.delivery.counts().outboundPending === 0, "the released reply sent");
    expect(texts(adapter)).toEqual(["streamed"]);
  });

  it("reads the store in a fleet, whatever the kick carries", async () => {
    const { store, outbox, adapter, reads, queue } = setup({ fleet: true });
    outbox.kick("test", queue("c1", "fleet reply"));
    await until(() => store.delivery.counts().outboundPending === 0, "the chunk sent");
    expect(texts(adapter)).toEqual(["fleet reply"]);
    expect(reads.due).toBeGreaterThan(0);
  });
});
