// Shared by the pipeline tests: an in-memory channel adapter, cleanup of the
// stores and outboxes a test opened, and a bounded wait for a condition.
import { afterEach } from "vitest";
import { sqliteBackend } from "../../src/store/sqlite-backend.ts";
import type { ChannelAdapter, InboundMessage, OutboundChunk } from "../../src/core/channel.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { AllowList } from "../../src/gateway/access.ts";
import { Outbox } from "../../src/gateway/outbox.ts";
import { Pipeline, type GatewayTurnInput, type GatewayTurnResult, type PipelineOptions } from "../../src/gateway/pipeline.ts";
import { openStore, type Store } from "../../src/store/index.ts";

export class MemoryAdapter implements ChannelAdapter {
  readonly id = "test";
  readonly capabilities;
  readonly sent: { chatId: string; chunk: OutboundChunk }[] = [];
  /** thrown by the next sends, in order */
  readonly failures: Error[] = [];
  typingCalls = 0;
  constructor(maxTextLength = 100) {
    this.capabilities = { maxTextLength, format: "plain" as const, typing: true, edit: false, voiceIn: true };
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async send(chatId: string, chunk: OutboundChunk): Promise<{ messageId: string }> {
    const f = this.failures.shift();
    if (f) throw f;
    this.sent.push({ chatId, chunk });
    return { messageId: String(this.sent.length) };
  }
  async typing(): Promise<void> {
    this.typingCalls++;
  }
}

/** stores and outboxes registered here are closed after each test */
export function useCleanup(): { stores: Store[]; outboxes: Outbox[] } {
  const stores: Store[] = [];
  const outboxes: Outbox[] = [];
  afterEach(async () => {
    for (const o of outboxes.splice(0)) {
      o.close();
      await o.flush(1000);
    }
    stores.splice(0).forEach((s) => s.close());
  });
  return { stores, outboxes };
}

export async function until(cond: () => boolean, what = "condition", ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface SetupOptions {
  allow?: string[];
  maxTurns?: number;
  online?: () => boolean;
  /** reuse a store (a "restart" of the pipeline on the same database) */
  store?: Store;
  holdReading?: boolean;
  maxTextLength?: number;
  /** wire the store's health into the pipeline and outbox (storage-fault tests) */
  health?: boolean;
  /** "typing…" after this long (default: the pipeline's 1 s) */
  typingAfterMs?: number;
  /** default: one session per sender */
  sessionKey?: (m: InboundMessage) => string;
  /** the heartbeat target's writer (the daemon's writes kv "last_active_chat") */
  noteActiveChat?: PipelineOptions["noteActiveChat"];
}

/** a pipeline and outbox over an in-memory store and a MemoryAdapter, closed after the test */
export function setupPipeline(cleanup: ReturnType<typeof useCleanup>, runTurn: (i: GatewayTurnInput) => Promise<GatewayTurnResult>, opts: SetupOptions = {}) {
  const store = opts.store ?? openStore(":memory:", { probeEveryMs: 20 });
  if (!opts.store) cleanup.stores.push(store);
  const adapter = new MemoryAdapter(opts.maxTextLength);
  const health = opts.health ? { health: store.health } : {};
  const backend = sqliteBackend(store);
  const outbox = new Outbox({
    delivery: backend.delivery,
    adapter: () => adapter,
    logger: silentLogger(),
    quickRetries: 0,
    ...health,
    ...(opts.online ? { online: opts.online } : {}),
  });
  cleanup.outboxes.push(outbox);
  const pipeline = new Pipeline({
    store: backend,
    outbox,
    adapter: () => adapter,
    policy: () => ({ allowFrom: new AllowList(opts.allow ?? ["*"]) }),
    sessionKey: opts.sessionKey ?? ((m) => `test:dm:${m.senderId}`),
    runTurn,
    logger: silentLogger(),
    ...health,
    ...(opts.maxTurns ? { maxTurns: opts.maxTurns } : {}),
    ...(opts.holdReading ? { holdReading: () => true } : {}),
    ...(opts.typingAfterMs !== undefined ? { typingAfterMs: opts.typingAfterMs } : {}),
    ...(opts.noteActiveChat ? { noteActiveChat: opts.noteActiveChat } : {}),
  });
  // a fresh store has nothing from an earlier life: recovery is done at once, as the daemon does at start,
  // so turns start from the rows their messages stored (a restart on a given store calls recover itself)
  if (!opts.store) void pipeline.recover();
  return { store, adapter, outbox, pipeline };
}
