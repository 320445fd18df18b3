// Catch-up: Discord does not redeliver messages sent while the gateway was
// down (a RESUME replays only a short gap of a live session). After every
// READY (start, re-identify) and RESUME the channel asks REST for what came
// after the last message it handed to the gateway, per channel, and emits it
// through the normal path; the inbox dedupes what arrived twice.
//
// Which channels: every channel with a cursor (DMs included: discord.js does
// not list DM channels at login, so the DM channel ids the bot has seen are
// kept in the cursor store across restarts), and the guild text channels
// the bot can see, starting from the time the gateway was last online.
// What cannot be recovered: a DM from someone who never wrote to the bot
// before, sent while the gateway was down (their DM channel id is unknown
// until a message of theirs reaches the running gateway; bots cannot list
// their DM channels), and anything before the very first start.
import type { ChannelCursors } from "../../src/core/channel.ts";
import type { Logger } from "../../src/core/logger.ts";
import { errorMessage } from "../../src/core/errors.ts";

/** Scope holding the id of the newest message seen anywhere: the watermark for channels without a cursor. */
export const WATERMARK = "*";
/** Discord's page size for message history. */
const PAGE = 100;
/** Guild channels scanned without a cursor, per catch-up (each costs one request). */
const MAX_UNSEEN_CHANNELS = 50;
const DISCORD_EPOCH = 1420070400000n;

/** the snowflake of an instant: a message id compares with it by time */
export function snowflakeAt(ms: number): string {
  return ((BigInt(ms) - DISCORD_EPOCH) << 22n).toString();
}

function newer(a: string, b: string | undefined): boolean {
  try {
    return b === undefined || BigInt(a) > BigInt(b);
  } catch {
    return false;
  }
}

export interface HistoryMessage {
  id: string;
}

export interface CatchupOptions<M extends HistoryMessage> {
  cursors: ChannelCursors;
  logger: Logger;
  /** up to 100 messages of `channelId` after `after`, in any order */
  fetchAfter: (channelId: string, after: string) => Promise<M[]>;
  /** the guild text channels (and threads) the bot can read now */
  guildChannels: () => string[];
  /** hands one message to the normal inbound path; resolves when the gateway stored it */
  emit: (message: M) => Promise<void>;
  now?: () => number;
}

export class DiscordCatchup<M extends HistoryMessage> {
  private readonly opts: CatchupOptions<M>;
  private running: Promise<number> | undefined;
  private again = false;
  /** channels the running sweep still has to hand over */
  private readonly sweeping = new Set<string>();
  /** cursor updates run one after another: each reads the cursor and moves it forward, and two at once could move it back */
  private writes: Promise<void> = Promise.resolve();

  constructor(opts: CatchupOptions<M>) {
    this.opts = opts;
  }

  /**
   * A live message arrived (not stored yet). A channel seen for the first
   * time gets a cursor just before it, so a crash before the message is
   * stored still leaves the channel known: the next catch-up fetches it.
   */
  arrived(channelId: string, messageId: string): void {
    void this.update(async (cursors) => {
      try {
        if ((await cursors.get(channelId)) === undefined) await cursors.set(channelId, (BigInt(messageId) - 1n).toString());
      } catch {
        // not a snowflake, or the store refused: the channel is learned when the message is stored
      }
    });
  }

  /**
   * A live message was stored. In a channel the running sweep has not
   * finished, the sweep moves the cursor (in order): a crash mid-sweep must
   * not leave a cursor past messages it has not handed over yet.
   */
  seenLive(channelId: string, messageId: string): void {
    if (this.sweeping.has(channelId)) return;
    void this.seen(channelId, messageId);
  }

  /** records that the gateway stored `messageId` of `channelId` (only ever moves forward); never rejects */
  private seen(channelId: string, messageId: string): Promise<void> {
    return this.update(async (cursors) => {
      try {
        if (newer(messageId, await cursors.get(channelId))) await cursors.set(channelId, messageId);
        if (newer(messageId, await cursors.get(WATERMARK))) await cursors.set(WATERMARK, messageId);
      } catch (err) {
        // the store refused: the cursor stays behind and the next catch-up fetches a little more
        this.opts.logger.debug({ err: errorMessage(err) }, "could not save the Discord catch-up cursor");
      }
    });
  }

  /** runs `fn` after every earlier cursor update */
  private update(fn: (cursors: ChannelCursors) => Promise<void>): Promise<void> {
    this.writes = this.writes.then(() => fn(this.opts.cursors));
    return this.writes;
  }

  /** fetches and emits what arrived while the gateway was away; one run at a time (a request during a run runs once more after it) */
  run(): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.sweep().finally(() => {
      this.sweeping.clear();
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.run();
      }
    });
    return this.running;
  }

  private async sweep(): Promise<number> {
    const { cursors, logger } = this.opts;
    await this.writes; // what was seen before this sweep is in the store
    const known = new Map((await cursors.list()).filter((c) => c.scope !== WATERMARK).map((c) => [c.scope, c.cursor]));
    const watermark = await cursors.get(WATERMARK);
    if (watermark === undefined) {
      // first start: nothing to catch up on; from now on everything counts
      await this.seen(WATERMARK, snowflakeAt((this.opts.now ?? Date.now)()));
      return 0;
    }
    const unseen = this.opts.guildChannels().filter((id) => !known.has(id)).slice(0, MAX_UNSEEN_CHANNELS);
    const todo: [string, string][] = [...known, ...unseen.map((id) => [id, watermark] as [string, string])];
    for (const [id] of todo) this.sweeping.add(id);
    let total = 0;
    for (const [channelId, from] of todo) {
      try {
        total += await this.channel(channelId, from);
        this.sweeping.delete(channelId);
      } catch (err) {
        logger.warn({ channelId, err: errorMessage(err) }, "Discord catch-up could not read a channel's history; trying again on the next reconnect");
      }
    }
    if (total > 0) logger.info({ messages: total }, "Discord catch-up: handed over messages sent while the gateway was away");
    return total;
  }

  private async channel(channelId: string, from: string): Promise<number> {
    let after = from;
    let count = 0;
    for (;;) {
      const page = (await this.opts.fetchAfter(channelId, after)).sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
      for (const m of page) {
        await this.opts.emit(m); // throws when the gateway could not store it: the cursor stays before it
        await this.seen(channelId, m.id);
        after = m.id;
        count++;
      }
      if (page.length < PAGE) return count;
    }
  }
}
