// What a person notices when the gateway's disk fills up or turns
// read-only, when a channel's inbound side is failing, under a burst of
// people at once, and when a stranger keeps writing.
import { describe, expect, it } from "vitest";
import type { InboundMessage } from "../../src/core/channel.ts";
import type { GatewayTurnInput, GatewayTurnResult } from "../../src/gateway/pipeline.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { setupPipeline, until, useCleanup, type SetupOptions } from "./pipeline-helpers.ts";

const cleanup = useCleanup();

type RunTurn = (i: GatewayTurnInput) => Promise<GatewayTurnResult>;

function setup(runTurn: RunTurn, opts: Omit<SetupOptions, "health" | "maxTextLength"> = {}) {
  return setupPipeline(cleanup, runTurn, { ...opts, health: true, maxTextLength: 50_000 });
}

const msg = (id: string, text: string, over: Partial<InboundMessage> = {}): InboundMessage => ({
  channel: "test", chatId: "c1", chatType: "direct", messageId: id, senderId: "u1", text, ...over,
});

/** the database takes no more pages: SQLite answers SQLITE_FULL, as on a full disk */
function fillDisk(store: Store): void {
  const pages = (store.db.prepare("PRAGMA page_count").get() as { page_count: number }).page_count;
  store.db.exec(`PRAGMA max_page_count = ${pages}`);
}
function freeDisk(store: Store): void {
  store.db.exec("PRAGMA max_page_count = 1073741823");
}

describe("storage faults", () => {
  it("disk full mid-turn: no crash, the store shows full, and the message is answered once when space returns", async () => {
    let turns = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { store, adapter, pipeline } = setup(async (i) => {
      turns++;
      if (turns === 1) await gate;
      return { text: `re: ${i.text} ${"x".repeat(20_000)}`, media: [] };
    });
    await pipeline.accept(msg("1", "hello"));
    await until(() => turns === 1, "the turn to start");
    fillDisk(store);
    release();
    await until(() => store.health.state === "full", "the store to report full");
    expect(store.health.snapshot().detail).toMatch(/disk .* is full/);
    expect(adapter.sent).toHaveLength(0);
    expect(store.delivery.pendingInbound().map((r) => r.messageId)).toEqual(["1"]);

    freeDisk(store);
    await until(() => adapter.sent.length === 1, "the answer after space returned").catch((err: Error) => {
      throw new Error(`${err.message}: store ${JSON.stringify(store.health.snapshot())}, turns ${turns}, pending ${JSON.stringify(store.delivery.pendingInbound().map((r) => r.state))}`);
    });
    expect(store.health.state).toBe("ok");
    expect(adapter.sent[0]!.chunk.text).toMatch(/^re: hello/);
    expect(store.delivery.pendingInbound()).toEqual([]);
    expect(turns).toBe(2);
  });

  it("a message arriving while the disk is full is refused (not acknowledged), and stored once it is retried", async () => {
    const { store, adapter, pipeline } = setup(async (i) => ({ text: `re: ${i.text}`, media: [] }));
    fillDisk(store);
    await expect(pipeline.accept(msg("1", "x".repeat(9000)))).rejects.toThrow(/not stored: the disk holding the database is full/);
    expect(store.health.state).toBe("full");
    freeDisk(store);
    await until(() => store.health.state === "ok", "the probe to clear the fault");
    await pipeline.accept(msg("1", "x".repeat(9000)));
    await until(() => adapter.sent.length === 1, "the answer");
  });

  it("a read-only database: no crash, /ready-style state read_only, answered when writable again", async () => {
    let turns = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { store, adapter, pipeline } = setup(async (i) => {
      if (++turns === 1) await gate;
      return { text: `re: ${i.text}`, media: [] };
    });
    await pipeline.accept(msg("1", "hi"));
    await until(() => turns === 1, "the turn to start");
    store.db.exec("PRAGMA query_only = ON");
    release();
    await until(() => store.health.state === "read_only", "the store to report read-only");
    expect(adapter.sent).toHaveLength(0);
    store.db.exec("PRAGMA query_only = OFF");
    await until(() => adapter.sent.length === 1, "the answer once writable");
    expect(adapter.sent.map((s) => s.chunk.text)).toEqual(["re: hi"]);
  });

  it("a sent chunk whose 'sent' mark fails is not sent again once the store recovers", async () => {
    const { store, adapter, pipeline, outbox } = setup(async () => ({ text: "answer", media: [] }));
    // fill the disk right after the platform accepts the chunk
    const send = adapter.send.bind(adapter);
    adapter.send = async (chatId, chunk) => {
      const res = await send(chatId, chunk);
      store.db.exec("PRAGMA query_only = ON");
      return res;
    };
    await pipeline.accept(msg("1", "q"));
    await until(() => store.health.state === "read_only", "the mark to fail");
    store.db.exec("PRAGMA query_only = OFF");
    await until(() => store.delivery.counts().outboundPending === 0, "the chunk to be marked sent");
    outbox.kick();
    await outbox.flush(500);
    expect(adapter.sent.map((s) => s.chunk.text)).toEqual(["answer"]);
  });
});

describe("outbox", () => {
  it("sends replies while the channel's inbound side is failing (not online)", async () => {
    const { adapter, pipeline } = setup(async (i) => ({ text: `re: ${i.text}`, media: [] }), { online: () => false });
    await pipeline.accept(msg("1", "ping"));
    await until(() => adapter.sent.length === 1, "the reply while offline");
  });
});

describe("backpressure", () => {
  it("runs at most maxTurns sessions at once, answers everyone, and holds a polling channel while full", async () => {
    let running = 0;
    let peak = 0;
    const gates: (() => void)[] = [];
    const { adapter, pipeline } = setup(
      async (i) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((r) => gates.push(r));
        running--;
        return { text: `re: ${i.text}`, media: [] };
      },
      { maxTurns: 3, holdReading: true },
    );
    const accepted: Promise<void>[] = [];
    let settled = 0;
    for (let u = 0; u < 10; u++) accepted.push(pipeline.accept(msg(`m${u}`, `hi ${u}`, { senderId: `u${u}`, chatId: `c${u}` })).then(() => void settled++));
    await until(() => gates.length === 3, "three turns to start");
    await new Promise((r) => setImmediate(r));
    // acknowledged until the slots were full; then the (polling) channel waits
    expect(settled).toBe(2);
    expect(pipeline.waitingSessions).toBe(7);
    while (adapter.sent.length < 10) {
      gates.shift()?.();
      await new Promise((r) => setTimeout(r, 2));
    }
    await Promise.all(accepted);
    expect(peak).toBe(3);
    expect(new Set(adapter.sent.map((s) => s.chatId)).size).toBe(10);
  });

  it("asks a polling channel for as many messages as it has free turn slots, and one set more", async () => {
    const gates: (() => void)[] = [];
    const { adapter, pipeline } = setup(
      async (i) => {
        await new Promise<void>((r) => gates.push(r));
        return { text: `re: ${i.text}`, media: [] };
      },
      { maxTurns: 3, holdReading: true },
    );
    expect(pipeline.readAhead("test")).toBe(6);
    const accepted = [0, 1].map((u) => pipeline.accept(msg(`m${u}`, `hi ${u}`, { senderId: `u${u}`, chatId: `c${u}` })));
    await until(() => gates.length === 2, "two turns to start");
    expect(pipeline.readAhead("test")).toBe(4);
    gates.shift()!();
    await until(() => adapter.sent.length === 1, "the first answer");
    await until(() => pipeline.readAhead("test") === 5, "its slot free again");
    gates.shift()!();
    await Promise.all(accepted);
    await until(() => pipeline.readAhead("test") === 6, "every slot free");
  });

  it("puts no bound on what a channel that does not hold its reading takes", () => {
    const { pipeline } = setup(async (i) => ({ text: `re: ${i.text}`, media: [] }), { maxTurns: 3 });
    expect(pipeline.readAhead("test")).toBeUndefined();
  });
});

describe("pairing", () => {
  it("answers a stranger's 30 messages with one code, and not again after a restart", async () => {
    const store = openStore(":memory:");
    cleanup.stores.push(store);
    const a = setup(async () => ({ text: "never", media: [] }), { allow: [], store });
    for (let i = 0; i < 30; i++) await a.pipeline.accept(msg(`s${i}`, "let me in", { senderId: "eve", chatId: "eve" }));
    await until(() => a.adapter.sent.length === 1, "the pairing reply");
    const b = setup(async () => ({ text: "never", media: [] }), { allow: [], store });
    await b.pipeline.accept(msg("s99", "hello again", { senderId: "eve", chatId: "eve" }));
    await b.outbox.flush(200);
    expect(a.adapter.sent.length + b.adapter.sent.length).toBe(1);
    expect(a.adapter.sent[0]!.chunk.text).toMatch(/pairing code is [A-Z0-9]{8}/);
  });
});
