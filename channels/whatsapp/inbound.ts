// Hands normalized messages to the gateway one at a time, in arrival order,
// and drops repeats (a bridge or WhatsApp may deliver a message again after a
// reconnect). A message counts as seen only once the gateway stored it.
import type { ChannelContext, InboundMessage } from "../../src/core/channel.ts";
import type { Logger } from "../../src/core/logger.ts";
import { errorMessage } from "../../src/core/errors.ts";

const SEEN_LIMIT = 2_000;

export class InboundQueue {
  private readonly log: Logger;
  private chain: Promise<void> = Promise.resolve();
  private readonly seen = new Set<string>();

  constructor(log: Logger) {
    this.log = log;
  }

  /**
   * queues `msg`; the returned promise settles once it was handled (never
   * rejects): true when the gateway has it stored (now or before), false
   * when it was not taken (stopping, or the gateway refused it)
   */
  push(ctx: ChannelContext, msg: InboundMessage): Promise<boolean> {
    const key = `${msg.chatId}\u0000${msg.messageId}`;
    const handled = this.chain.then(async () => {
      if (this.seen.has(key)) return true;
      if (ctx.signal.aborted) return false;
      try {
        await ctx.emit(msg);
      } catch (err) {
        this.log.error(
          { err: errorMessage(err), messageId: msg.messageId },
          "the gateway did not accept a WhatsApp message",
        );
        return false;
      }
      this.seen.add(key);
      if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.values().next().value!);
      return true;
    });
    this.chain = handled.then(() => undefined);
    return handled;
  }

  /** resolves when everything queued so far was handled */
  idle(): Promise<void> {
    return this.chain;
  }
}
