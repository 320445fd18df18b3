// Sends stored reply chunks. A chunk is in SQLite before the first attempt
// and marked sent right after the platform accepted it, so a restart resends
// exactly what was not sent. Chunks of one reply go out in order: when one
// fails, the rest of that reply waits for it. Short hiccups are retried on
// the spot with p-retry; a platform's retry_after, and longer outages, move
// the chunk's not-before time; a chunk that still fails after maxAttempts,
// or that can never succeed, becomes a dead letter shown by `status`.
import pRetry, { AbortError } from "p-retry";
import { channelErrorCode, ChannelError, type ChannelAdapter, type OutboundChunk } from "../core/channel.ts";
import type { Logger } from "../core/logger.ts";
import type { DeliveryStore, OutboundRecord } from "../store/types.ts";

export interface OutboxOptions {
  delivery: DeliveryStore;
  adapter: (channel: string) => ChannelAdapter | undefined;
  /** true when the channel is online; offline channels are not tried */
  online?: (channel: string) => boolean;
  logger: Logger;
  now?: () => number;
  /** attempts before a chunk is dead; default 8 */
  maxAttempts?: number;
  /** immediate retries inside one attempt; default 2 */
  quickRetries?: number;
  /** minimum wait between quick retries; default 250 ms */
  quickRetryMs?: number;
  /** the platform rejected the channel's credentials while sending (code `auth`): take it offline */
  authFailed?: (channel: string, message: string) => void;
}

export class Outbox {
  private readonly opts: OutboxOptions;
  private readonly now: () => number;
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  sentCount = 0;

  constructor(opts: OutboxOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
  }

  /** sends whatever is due for `channel` (or every channel) */
  kick(channel?: string): void {
    if (this.closed) return;
    const channels = channel ? [channel] : [...new Set(this.opts.delivery.pendingOutbound(Number.MAX_SAFE_INTEGER).map((r) => r.channel))];
    for (const ch of channels) {
      if (this.running.has(ch)) {
        this.again.add(ch);
        continue;
      }
      const run = this.drain(ch).finally(() => {
        this.running.delete(ch);
        if (this.again.delete(ch)) this.kick(ch);
      });
      this.running.set(ch, run);
    }
  }

  /** waits until nothing due is being sent, or the deadline passes */
  async flush(deadlineMs: number): Promise<void> {
    const end = Date.now() + deadlineMs;
    while (this.running.size > 0 && Date.now() < end) {
      await Promise.race([Promise.allSettled([...this.running.values()]), new Promise((r) => setTimeout(r, Math.max(1, end - Date.now())))]);
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async drain(channel: string): Promise<void> {
    const adapter = this.opts.adapter(channel);
    if (!adapter || (this.opts.online && !this.opts.online(channel))) return this.wakeLater();
    const blocked = new Set<string>();
    for (const rec of this.opts.delivery.pendingOutbound(this.now(), channel)) {
      if (this.closed) return;
      if (blocked.has(rec.replyId)) continue;
      const ok = await this.sendOne(adapter, rec);
      if (!ok) blocked.add(rec.replyId);
    }
    this.wakeLater();
  }

  private async sendOne(adapter: ChannelAdapter, rec: OutboundRecord): Promise<boolean> {
    const chunk = rec.chunk as OutboundChunk;
    try {
      const res = await pRetry(
        async () => {
          try {
            return await adapter.send(rec.chatId, chunk);
          } catch (err) {
            // only transient failures are worth an immediate retry
            if (channelErrorCode(err) !== "transient") throw new AbortError(err as Error);
            throw err;
          }
        },
        { retries: this.opts.quickRetries ?? 2, minTimeout: this.opts.quickRetryMs ?? 250, factor: 2, randomize: true },
      );
      this.opts.delivery.markSent(rec.id, res.messageId, this.now());
      this.sentCount++;
      return true;
    } catch (err) {
      const cause = err instanceof AbortError && err.cause ? err.cause : err;
      const attempts = rec.attempts + 1;
      const message = cause instanceof Error ? cause.message : String(cause);
      let notBefore = this.now() + Math.min(5 * 60_000, 2000 * 2 ** Math.min(attempts, 8));
      let dead = attempts >= (this.opts.maxAttempts ?? 8);
      switch (channelErrorCode(cause)) {
        case "rate_limited":
          // the platform said when it will take it
          notBefore = this.now() + ((cause as ChannelError).retryAfterMs ?? 1000);
          dead = false;
          break;
        case "permanent":
          dead = true;
          break;
        case "auth":
          // not the chunk's fault: it waits until the credentials are fixed and the channel is back
          dead = false;
          this.opts.authFailed?.(rec.channel, message);
          break;
        case "transient":
          break;
      }
      this.opts.delivery.markFailed(rec.id, message, notBefore, dead);
      this.opts.logger[dead ? "error" : "warn"](
        { channel: rec.channel, chatId: rec.chatId, reply: rec.replyId, seq: rec.seq, attempts, err: message },
        dead ? "reply chunk could not be delivered; kept as dead letter" : "reply chunk send failed; will retry",
      );
      return false;
    }
  }

  /** schedules the next drain for chunks waiting on a not-before time */
  private wakeLater(): void {
    if (this.closed) return;
    const waiting = this.opts.delivery.pendingOutbound(Number.MAX_SAFE_INTEGER);
    if (waiting.length === 0) return;
    const soonest = Math.min(...waiting.map((r) => r.notBefore));
    const delay = Math.max(200, Math.min(60_000, soonest - this.now()));
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), delay);
    this.timer.unref();
  }
}
