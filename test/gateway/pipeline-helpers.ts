// Shared by the pipeline tests: an in-memory channel adapter, cleanup of the
// stores and outboxes a test opened, and a bounded wait for a condition.
import { afterEach } from "vitest";
import type { ChannelAdapter, OutboundChunk } from "../../src/core/channel.ts";
import type { Outbox } from "../../src/gateway/outbox.ts";
import type { Store } from "../../src/store/index.ts";

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
