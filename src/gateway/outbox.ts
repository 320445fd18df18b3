// Sends stored reply chunks. A chunk is in SQLite before the first attempt
// and marked sent once the page of chunks its drain sent is done: every
// chunk of the page in one statement (one commit per page, not per chunk),
// so a restart resends exactly what was not marked. A crash between a send
// and its page's mark sends that chunk again after the restart, as a crash
// between a send and its own mark always did; the window is one page of one
// drain (at most DRAIN_PAGE chunks). In a fleet each chunk's send and mark
// stay one fenced unit (fleet-hooks.ts). Chunks of one reply go out in order:
// when one fails, the rest of that reply waits for it. Short hiccups are retried on
// the spot with p-retry; a platform's retry_after, and longer outages, move
// the chunk's not-before time; a chunk that still fails after maxAttempts,
// or that can never succeed, becomes a dead letter shown by `status`.
//
// Sending does not wait for the channel's inbound side: a Telegram whose
// getUpdates fails while sendMessage works still delivers replies at once.
// Only a failure while the channel is not online is not counted towards the
// dead-letter limit (it is retried every second instead, so a reply waiting
// for a channel that is still connecting goes out right after it is up).
//
// A storage fault never stops the process: a chunk the platform accepted but
// whose "sent" mark could not be written is remembered in memory and marked
// before anything is sent again, so it is not sent twice while the process
// lives. Only a crash in that gap resends it (the platform's send window).
// Sends waiting for their page's mark are held the same way.
import pRetry, { AbortError } from "p-retry";
import { channelErrorCode, ChannelError, type ChannelAdapter, type OutboundChunk } from "../core/channel.ts";
import type { Logger } from "../core/logger.ts";
import type { StoreHealth } from "../store/health.ts";
import type { AsyncDeliveryStore } from "../store/backend.ts";
import type { OutboundRecord } from "../store/types.ts";
import { isFenced, type OutboxFence } from "./fleet-hooks.ts";
import { deliverChunk } from "./live-reply-delivery.ts";
import { errorMessage } from "../core/errors.ts";

/** A stored chunk (by its seq) that edits a live message whose id was not known when the reply was stored. */
export interface ChunkRebind {
  seq: number;
  edits: string;
}

/** Retry delay for a chunk that failed while its channel was not online. */
const OFFLINE_RETRY_MS = 1000;
/** chunks read per outbox query: a backlog is sent page by page, never read whole */
export const DRAIN_PAGE = 100;
/** chats of one channel sent to at the same time */
const SEND_LANES = 8;

/**
 * Runs `fn` over `items`, at most `limit` at a time, and waits for every one
 * to finish before it rethrows the first failure: a lane still sending when
 * another failed must not overlap the next drain (which would send its chunk again).
 */
async function settleAll<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

export interface OutboxOptions {
  delivery: AsyncDeliveryStore;
  adapter: (channel: string) => ChannelAdapter | undefined;
  /** true when the channel is online; failures while offline do not count towards dead letters */
  online?: (channel: string) => boolean;
  /** the store's state: a fault is recorded there and sending resumes when it clears */
  health?: StoreHealth;
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
  /**
   * look for chunks other processes queued (`switchboard pairing approve`
   * beside the running gateway) this often; off when unset. Only kicks: a
   * look with nothing due costs one query.
   */
  pollMs?: number;
  /** a fleet's fence (fleet-hooks.ts): only the channel's lease holder sends, each chunk fenced by its epoch; absent on a lone gateway */
  fence?: OutboxFence;
}

export class Outbox {
  private readonly opts: OutboxOptions;
  private readonly now: () => number;
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  /** channel → the first page of its drain, while that drain has not begun (undefined: it reads the store) */
  private readonly firstPages = new Map<string, readonly OutboundRecord[] | undefined>();
  private timer: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private closed = false;
  /**
   * Whether a chunk may be waiting on a later not-before time (a failed send, or unknown: at
   * start, after a store fault, when the timer fires). Only then does a drain ask the store
   * when to wake next; an ordinary reply sent at once costs no extra query.
   */
  private mayWait = true;
  /** chunk id → platform message id, for sends not recorded yet (their page's mark is to come, or the store refused it) */
  private readonly unrecorded = new Map<number, string>();
  /** replies not to be sent before their promise settles (streamed replies still editing) */
  private readonly held = new Set<string>();
  /** in memory only: a crash before the chunk is sent sends it as a new message (the late live message stays) */
  private readonly rebinds = new Map<string, ChunkRebind>();
  sentCount = 0;

  constructor(opts: OutboxOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    opts.health?.onRecovered(() => this.kick());
    if (opts.pollMs) {
      this.poll = setInterval(() => this.kick(), opts.pollMs);
      this.poll.unref();
    }
  }

  /**
   * Sends whatever is due for `channel` (or every channel); never throws.
   * Kick after the transaction that queued the chunks committed (a chunk on
   * the wire before COMMIT is a reply a crash could send twice, and on
   * PostgreSQL the drain would not even see it).
   *
   * `queued`: the chunks that transaction stored for `channel`, as their
   * insert returned them. When no drain of the channel is running they are
   * its first page and it reads nothing more (a lone reply costs no "due"
   * query): every other chunk that may be due has a wake-up of its own (its
   * own kick, a failure's timer, the poll for other processes' chunks). A
   * drain already running reads the store once more after it, as for any
   * kick. Not for a fleet, where another gateway may have sent them.
   */
  kick(channel?: string, queued?: readonly OutboundRecord[]): void {
    if (this.closed) return;
    if (channel) return this.start(channel, this.opts.fence ? undefined : queued);
    this.mayWait = true;
    this.opts.delivery.channelsWithPendingOutbound().then(
      (channels) => {
        for (const ch of channels) this.start(ch);
      },
      (err: unknown) => this.storeError(err, "could not read the outbox"),
    );
  }

  /**
   * One drain per channel at a time; a kick meanwhile drains once more after
   * it. Kicks that come before a drain has begun (the turns of one group
   * commit, told one after another) join its first page: their chunks, or,
   * from a kick without them, a read of the store.
   */
  private start(ch: string, queued?: readonly OutboundRecord[]): void {
    if (this.closed) return;
    if (this.firstPages.has(ch)) {
      // its drain is on the way and has not begun: join its first page
      const page = this.firstPages.get(ch);
      this.firstPages.set(ch, page && queued ? [...page, ...queued].sort((a, b) => a.id - b.id) : undefined);
      return;
    }
    if (this.running.has(ch)) {
      this.again.add(ch);
      return;
    }
    this.firstPages.set(ch, queued);
    const run = Promise.resolve()
      .then(() => {
        const first = this.firstPages.get(ch);
        this.firstPages.delete(ch);
        return this.drain(ch, first);
      })
      .catch((err: unknown) => this.storeError(err, "could not update the outbox"))
      .finally(() => {
        this.running.delete(ch);
        if (this.again.delete(ch)) this.start(ch);
      });
    this.running.set(ch, run);
  }

  /** keeps the chunks of `replyId` back until `until` settles, then sends them (nothing to wait for: no hold, and no extra drain) */
  hold(replyId: string, channel: string, until: Promise<ChunkRebind | undefined> | undefined): void {
    if (!until) return;
    this.held.add(replyId);
    void until
      .catch(() => undefined)
      .then((rebind) => {
        if (rebind) this.rebinds.set(replyId, rebind);
        this.held.delete(replyId);
        this.kick(channel);
      });
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
    if (this.poll) clearInterval(this.poll);
  }

  /** `queued`: the first page, as kick() was given it (no query for it) */
  private async drain(channel: string, queued?: readonly OutboundRecord[]): Promise<void> {
    // in a fleet another gateway sends on this channel; it hears of new chunks by NOTIFY
    if (this.opts.fence && !this.opts.fence.drains(channel)) return;
    const adapter = this.opts.adapter(channel);
    if (!adapter) {
      this.mayWait = true; // its chunks wait for the channel: look again soon
      return this.wakeLater();
    }
    await this.recordUnrecorded();
    const blocked = new Set<string>();
    // page by page: a backlog of thousands of replies is never read into memory at once
    for (let first = queued; ; first = undefined) {
      const page = first ?? (await this.opts.delivery.pendingOutbound(this.now(), channel, DRAIN_PAGE));
      // one lane per chat: a chat's chunks go out in order, different chats side by side,
      // so one slow send does not hold every other chat's reply behind it
      const lanes = new Map<string, OutboundRecord[]>();
      for (const rec of page) {
        if (this.held.has(rec.replyId) || this.unrecorded.has(rec.id)) continue;
        const lane = lanes.get(rec.chatId);
        if (lane) lane.push(rec);
        else lanes.set(rec.chatId, [rec]);
      }
      const stopped = () => this.closed || (this.opts.fence !== undefined && !this.opts.fence.drains(channel));
      let tried = 0;
      try {
        await settleAll([...lanes.values()], SEND_LANES, async (lane) => {
          for (const rec of lane) {
            if (stopped()) return;
            if (blocked.has(rec.replyId)) continue;
            tried++;
            if (!(await this.sendOne(adapter, rec))) blocked.add(rec.replyId);
          }
        });
      } finally {
        // everything the page sent, in one statement, before the next page is read (or the drain ends)
        await this.recordUnrecorded();
      }
      if (stopped()) return;
      // a short page was the last; a page of chunks all held or blocked back would only come back the same
      if (page.length < DRAIN_PAGE || tried === 0) break;
    }
    await this.wakeLater();
  }

  /** marks every chunk sent and not yet recorded, in one statement; throws (keeping them) while the store refuses */
  private async recordUnrecorded(): Promise<void> {
    if (this.unrecorded.size === 0) return;
    const marks = [...this.unrecorded].map(([id, platformMessageId]) => ({ id, platformMessageId }));
    // taken out before the await: another channel's drain recording meanwhile does not mark them twice
    this.unrecorded.clear();
    try {
      await this.opts.delivery.markSent(marks, this.now());
    } catch (err) {
      for (const m of marks) this.unrecorded.set(m.id, m.platformMessageId);
      throw err;
    }
  }

  private storeError(err: unknown, what: string): void {
    const fault = this.opts.health?.failed(err) === true;
    this.opts.logger[fault ? "warn" : "error"]({ err: errorMessage(err) }, `${what}; sending resumes when the store takes writes`);
    if (!fault) {
      this.mayWait = true;
      void this.wakeLater();
    }
  }

  private async sendOne(adapter: ChannelAdapter, rec: OutboundRecord): Promise<boolean> {
    const rebind = this.rebinds.get(rec.replyId);
    const chunk = rebind?.seq === rec.seq ? { ...(rec.chunk as OutboundChunk), edits: rebind.edits } : (rec.chunk as OutboundChunk);
    let sentAs: string | undefined;
    // fenced (a fleet): the send and its mark are one unit in the fence's transaction; alone: the page's mark records it
    const send = async (fenced?: AsyncDeliveryStore): Promise<void> => {
      const res = await pRetry(
        async () => {
          try {
            return await deliverChunk(adapter, rec.chatId, chunk, this.opts.logger);
          } catch (err) {
            // only transient failures are worth an immediate retry
            if (channelErrorCode(err) !== "transient") throw new AbortError(err as Error);
            throw err;
          }
        },
        { retries: this.opts.quickRetries ?? 2, minTimeout: this.opts.quickRetryMs ?? 250, factor: 2, randomize: true },
      );
      sentAs = res.messageId;
      this.sentCount++;
      if (rebind?.seq === rec.seq) this.rebinds.delete(rec.replyId);
      if (fenced) await fenced.markSent([{ id: rec.id, platformMessageId: res.messageId }], this.now());
      else this.unrecorded.set(rec.id, res.messageId);
    };
    try {
      await (this.opts.fence ? this.opts.fence.send(rec.channel, send) : send());
      return true;
    } catch (err) {
      if (sentAs !== undefined) {
        // sent, but not recorded (a store fault): remember it so it is not sent again
        this.unrecorded.set(rec.id, sentAs);
        throw err;
      }
      if (isFenced(err)) return false; // the channel moved to another gateway before this chunk went out: it sends it
      const cause = err instanceof AbortError && err.cause ? err.cause : err;
      const attempts = rec.attempts + 1;
      const message = errorMessage(cause);
      let notBefore = this.now() + Math.min(5 * 60_000, 2000 * 2 ** Math.min(attempts, 8));
      let dead = attempts >= (this.opts.maxAttempts ?? 8);
      const offline = this.opts.online !== undefined && !this.opts.online(rec.channel);
      if (offline) {
        notBefore = this.now() + OFFLINE_RETRY_MS;
        dead = false; // not the chunk's fault: tried again, uncounted, until the channel is back
      }
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
      this.mayWait = true;
      await this.opts.delivery.markFailed(rec.id, message, notBefore, dead, !offline);
      this.opts.logger[dead ? "error" : "warn"](
        { channel: rec.channel, chatId: rec.chatId, reply: rec.replyId, seq: rec.seq, attempts, err: message },
        dead ? "reply chunk could not be delivered; kept as dead letter" : "reply chunk send failed; will retry",
      );
      return false;
    }
  }

  /** schedules the next drain for chunks waiting on a not-before time */
  private async wakeLater(): Promise<void> {
    if (this.closed || !this.mayWait) return;
    let soonest: number | undefined;
    try {
      soonest = await this.opts.delivery.nextOutboundAt();
    } catch {
      return; // unreadable store: the health probe kicks us when it is back
    }
    if (this.closed) return;
    if (soonest === undefined) {
      this.mayWait = false;
      return;
    }
    const delay = Math.max(200, Math.min(60_000, soonest - this.now()));
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), delay);
    this.timer.unref();
  }
}
