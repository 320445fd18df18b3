// Long polling with getUpdates. The offset moves past an update only after
// the gateway has stored it, so an update whose emit fails is fetched again
// on the next poll. A poll's updates are handed over together (not one after
// the other), so the store commits them as one group; the offset then moves
// past the updates stored before the first that failed. Those after it that
// were stored come again with it and are recognised as duplicates by the
// inbox, so a failure loses nothing and answers nothing twice. A failing
// getUpdates puts the channel in "reconnecting" (409 Conflict and a rejected
// token in "offline", with the reason) and is retried with exponential
// backoff; the first good poll reports "online".
import { ChannelError, type ChannelState } from "../../src/core/channel.ts";
import { Backoff, describeWait, sleepUnlessAborted } from "../../src/core/backoff.ts";
import type { Clock } from "../../src/core/clock.ts";
import type { Logger } from "../../src/core/logger.ts";
import { apiErrorOf, describeAuthFailure, toChannelError, type TelegramClient } from "./client.ts";
import { errorMessage } from "../../src/core/errors.ts";

export interface PollerOptions {
  client: TelegramClient;
  timeoutSeconds: number;
  allowedUpdates: string[];
  /**
   * stores one update; throws when it could not be stored. Called for every
   * update of a poll without waiting for the one before (the pipeline stores
   * a chat's messages in the order they were handed over).
   */
  handle: (update: { update_id: number }) => Promise<void>;
  setStatus: (state: ChannelState, detail?: string) => void;
  /** a failure polling cannot get past (the token was revoked): the supervisor takes over */
  fail?: (err: ChannelError) => void;
  logger: Logger;
  clock: Clock;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** first update id to ask for (kept across restarts of the adapter) */
  offset?: number;
  /** how many updates the gateway wants in the next poll (ChannelContext.readAhead); absent: Telegram's maximum */
  readAhead?: () => number | undefined;
}

/** getUpdates returns at most this many updates (Bot API: limit 1–100, default 100) */
export const MAX_UPDATES_PER_POLL = 100;

/** the `limit` of the next getUpdates: what the gateway asked for, within the Bot API's 1–100 */
export function pollLimit(wanted: number | undefined): number {
  if (wanted === undefined || !Number.isFinite(wanted)) return MAX_UPDATES_PER_POLL;
  return Math.min(MAX_UPDATES_PER_POLL, Math.max(1, Math.floor(wanted)));
}

export class LongPoller {
  private readonly opts: PollerOptions;
  private readonly abort = new AbortController();
  private loopDone: Promise<void> = Promise.resolve();
  private readonly backoff: Backoff;
  private degraded = false;
  /** next update id to ask for; undefined until the first update was stored */
  offset: number | undefined;

  constructor(opts: PollerOptions) {
    this.opts = opts;
    this.offset = opts.offset;
    // no jitter: one poller per bot token, nothing to spread out
    this.backoff = new Backoff({ initialMs: opts.initialBackoffMs, maxMs: opts.maxBackoffMs, random: () => 0.5 });
  }

  start(): void {
    this.loopDone = this.loop().catch((err: unknown) => {
      this.opts.logger.error({ err: errorMessage(err) }, "telegram polling loop crashed");
      this.opts.setStatus("offline", "polling stopped after an internal error; the supervisor will restart the channel");
    });
  }

  /** aborts the held long poll and waits for the loop to end */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loopDone;
  }

  private get signal(): AbortSignal {
    return this.abort.signal;
  }

  private async loop(): Promise<void> {
    const { client, logger } = this.opts;
    while (!this.signal.aborted) {
      let updates: { update_id: number }[];
      try {
        updates = await client.api.getUpdates(
          {
            timeout: this.opts.timeoutSeconds,
            limit: pollLimit(this.opts.readAhead?.()),
            allowed_updates: this.opts.allowedUpdates as never,
            ...(this.offset !== undefined ? { offset: this.offset } : {}),
          },
          // grammy types the signal as the abort-controller polyfill's; a native one works
          this.signal as unknown as Parameters<TelegramClient["api"]["getUpdates"]>[1],
        );
      } catch (err) {
        if (this.signal.aborted) return;
        await this.pollFailed(err);
        continue;
      }
      if (this.degraded) {
        this.degraded = false;
        this.opts.setStatus("online");
        logger.info("telegram polling recovered");
      }
      this.backoff.reset();
      if (this.signal.aborted) return;
      const failed = await this.handOver(updates);
      if (failed && !this.signal.aborted) {
        const delay = this.nextDelay();
        logger.warn(
          { updateId: failed.update.update_id, err: client.redact(failed.err instanceof Error ? failed.err.message : String(failed.err)), retryInMs: delay },
          "could not store a Telegram update; it and the updates after it stay unconfirmed and are fetched again",
        );
        await this.sleep(delay);
      }
    }
  }

  /**
   * Hands every update of a poll to `handle` at once and moves the offset
   * past those stored before the first failure, which it returns.
   */
  private async handOver(updates: { update_id: number }[]): Promise<{ update: { update_id: number }; err: unknown } | undefined> {
    const results = await Promise.allSettled(updates.map((u) => this.opts.handle(u)));
    for (let i = 0; i < updates.length; i++) {
      const r = results[i]!;
      if (r.status === "rejected") return { update: updates[i]!, err: r.reason };
      this.offset = updates[i]!.update_id + 1;
    }
    return undefined;
  }

  private async pollFailed(err: unknown): Promise<void> {
    const delay = this.nextDelay();
    const wait = `retrying in ${describeWait(delay)}`;
    const api = apiErrorOf(err);
    this.degraded = true;
    if (api?.code === 409) {
      this.opts.setStatus(
        "offline",
        `409 Conflict from getUpdates (${this.opts.client.redact(api.description)}): another process polls with this bot token, or a webhook is set; stop the other instance or use one mode; ${wait}`,
      );
    } else if (api?.code === 401 || api?.code === 404) {
      if (this.opts.fail) {
        // retrying a revoked token forever helps nobody: the channel goes offline until the config changes
        this.opts.fail(new ChannelError("auth", describeAuthFailure("getUpdates", api.code)));
        this.abort.abort();
        return;
      }
      this.opts.setStatus("offline", `${describeAuthFailure("getUpdates", api.code)}; ${wait}`);
    } else {
      this.opts.setStatus("reconnecting", `${toChannelError(err, "getUpdates", this.opts.client.redact).message}; ${wait}`);
    }
    this.opts.logger.warn({ err: toChannelError(err, "getUpdates", this.opts.client.redact).message, retryInMs: delay }, "telegram getUpdates failed");
    await this.sleep(delay);
  }

  private nextDelay(): number {
    return this.backoff.next();
  }

  /** the clock's sleep, cut short by stop() */
  private sleep(ms: number): Promise<void> {
    return sleepUnlessAborted(this.opts.clock, ms, this.signal);
  }
}
