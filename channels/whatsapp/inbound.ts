// Hands normalized messages to the gateway one at a time, in arrival order,
// and drops repeats (a bridge or WhatsApp may deliver a message again after a
// reconnect). A message counts as seen only once the gateway stored it.
import type { ChannelContext, InboundMessage } from "../../src/core/channel.ts";
import type { Logger } from "../../src/core/logger.ts";

const SEEN_LIMIT = 2_000;

export class InboundQueue {
  private readonly log: Logger;
  private chain: Promise<void> = Promise.resolve();
  private readonly seen = new Set<string>();

  constructor(log: Logger) {
    this.log = log;
  }

  /** queues `msg`; the returned promise settles once it was handled (never rejects) */
  push(ctx: ChannelContext, msg: InboundMessage): Promise<void> {
    const key = `${msg.chatId}\u0000${msg.messageId}`;
    this.chain = this.chain.then(async () => {
      if (ctx.signal.aborted || this.seen.has(key)) return;
      try {
        await ctx.emit(msg);
      } catch (err) {
        this.log.error(
          { err: err instanceof Error ? err.message : String(err), messageId: msg.messageId },
          "the gateway did not accept a WhatsApp message",
        );
        return;
      }
      this.seen.add(key);
      if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.values().next().value!);
    });
    return this.chain;
  }

  /** resolves when everything queued so far was handled */
  idle(): Promise<void> {
    return this.chain;
  }
}
