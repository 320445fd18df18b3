// One reply that streams into the chat while the model writes it: the first
// text goes out as a message at once, later text edits that message, no
// faster than the platform allows (one send or edit at a time, at least
// LiveEditLimits.minIntervalMs apart, longer when the platform answers 429
// with a retry time). Text longer than one message continues in a new
// message; the pieces are cut by the same fence-aware chunker as the final
// reply, so a code block split across messages is closed and reopened. While
// tools run, a short status line stands in for the text; the next answer
// text replaces it. Nothing is sent during the first half second of output:
// an answer complete by then is sent whole, as with streaming off, without a
// partial message flashing by.
//
// What the user finally reads is NOT sent from here: the final reply goes
// through the outbox like any other, its first chunks editing these live
// messages (see live-replies.ts). close() stops all editing so the outbox's
// final edit is the last word.
import { channelErrorCode, ChannelError, type ChannelAdapter, type LiveEditLimits, type OutboundChunk } from "../core/channel.ts";
import type { Logger } from "../core/logger.ts";
import { chunkText, withOpenFenceClosed } from "./chunk.ts";
import { toolStatusLine } from "./live-reply-status.ts";
import { errorMessage } from "../core/errors.ts";

export interface LiveTarget {
  channel: string;
  chatId: string;
  threadId?: string;
  /** the first message replies to this platform message (groups) */
  replyTo?: string;
}

export interface LiveReplyOptions {
  adapter: ChannelAdapter & Required<Pick<ChannelAdapter, "edit">>;
  target: LiveTarget;
  limits: LiveEditLimits;
  /** messages an earlier run of the same turn left (a restart or a failed run): edited instead of sending new ones; `shown` when known */
  reuse?: { id: string; shown?: string }[];
  /** called with every message id list that grew; the caller records it durably */
  onMessages: (ids: string[]) => void;
  logger: Logger;
  now?: () => number;
  /** the first message waits this long after the first output; default FIRST_SEND_DELAY_MS */
  firstDelayMs?: number;
}

/** how long the first output may run before it is shown: a quick answer is sent whole instead */
export const FIRST_SEND_DELAY_MS = 500;

interface LiveMessage {
  id: string;
  /** the text it shows, when known (unknown for messages of an earlier run) */
  shown?: string;
  edits: number;
}

export class LiveReply {
  private readonly opts: LiveReplyOptions;
  private readonly now: () => number;
  private readonly messages: LiveMessage[];
  private text = "";
  private status: string | undefined;
  private busy: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** no send or edit before this time */
  private nextAt = 0;
  /** when the platform takes the next call in this chat (its interval after our last one, or its retry time) */
  private platformFreeAt = 0;
  private closed = false;
  private started = false;
  /** the platform refused for good (chat gone, bot blocked): the final reply alone is tried */
  private stopped = false;
  /** sends and edits done, for status and tests */
  operations = 0;

  constructor(opts: LiveReplyOptions) {
    this.opts = opts;
    this.now = opts.now ?? Date.now;
    this.messages = (opts.reuse ?? []).map((m) => ({ id: m.id, ...(m.shown !== undefined ? { shown: m.shown } : {}), edits: 0 }));
  }

  /** answer text as the model writes it */
  push(delta: string): void {
    if (this.closed || !delta) return;
    this.text += delta;
    this.status = undefined;
    this.pump();
  }

  /** the model called tools: a status line replaces the text so far (the answer after the tools replaces it) */
  tools(names: readonly string[]): void {
    if (this.closed || names.length === 0) return;
    this.text = "";
    this.status = toolStatusLine(names);
    this.pump();
  }

  get target(): LiveTarget {
    return this.opts.target;
  }

  /** what the live messages show (undefined where unknown), first to last */
  get shown(): { id: string; shown?: string }[] {
    return this.messages.map((m) => ({ id: m.id, ...(m.shown !== undefined ? { shown: m.shown } : {}) }));
  }

  /** no send or edit under way and none waiting for the platform's interval: the final reply may edit at once */
  get idle(): boolean {
    return this.busy === undefined && this.platformFreeAt <= this.now();
  }

  /** the messages shown so far, first to last */
  get ids(): string[] {
    return this.messages.map((m) => m.id);
  }

  /**
   * Stops every further send or edit. The promise resolves once an
   * operation still under way has finished and the throttle allows the next
   * one, the moment the final reply may edit these messages.
   */
  close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    return (this.busy ?? Promise.resolve()).then(() => {
      const wait = this.platformFreeAt - this.now();
      return wait > 0 ? new Promise<void>((r) => setTimeout(r, wait).unref()) : undefined;
    });
  }

  /** what the chat should show now, one string per message */
  private pieces(): string[] {
    if (this.status) return [this.status];
    const text = this.text.replace(/^\s+/, "");
    if (!text.trim()) return [];
    const pieces = chunkText(text, this.opts.adapter.capabilities.maxTextLength);
    const last = pieces.length - 1;
    if (last >= 0) pieces[last] = withOpenFenceClosed(pieces[last]!);
    return pieces;
  }

  private pump(): void {
    if (!this.started) {
      this.started = true;
      this.nextAt = this.now() + (this.opts.firstDelayMs ?? FIRST_SEND_DELAY_MS);
    }
    if (this.closed || this.stopped || this.busy || this.timer) return;
    const wait = this.nextAt - this.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, wait);
      this.timer.unref();
      return;
    }
    const op = this.nextOperation();
    if (!op) return;
    this.busy = op()
      .then(() => {
        this.operations++;
        this.nextAt = this.platformFreeAt = this.now() + this.opts.limits.minIntervalMs;
      }, (err: unknown) => this.failed(err))
      .finally(() => {
        this.busy = undefined;
        this.pump();
      });
  }

  /** the one send or edit that brings the chat closest to the text: the first piece that differs */
  private nextOperation(): (() => Promise<void>) | undefined {
    const { adapter, target, limits } = this.opts;
    const pieces = this.pieces();
    for (let i = 0; i < pieces.length; i++) {
      const text = pieces[i]!;
      const chunk: OutboundChunk = { text, format: "markdown", ...(target.threadId ? { threadId: target.threadId } : {}) };
      const msg = this.messages[i];
      if (!msg) {
        return async () => {
          const first = i === 0 && target.replyTo ? { replyTo: target.replyTo } : {};
          const sent = await adapter.send(target.chatId, { ...chunk, ...first });
          this.messages.push({ id: sent.messageId, shown: text, edits: 0 });
          // after close() the final reply is stored already: it takes this late message over (LiveReplies.finish)
          if (!this.closed) this.opts.onMessages(this.ids);
        };
      }
      if (msg.shown === text) continue;
      if (limits.maxEditsPerMessage !== undefined && msg.edits >= limits.maxEditsPerMessage) continue; // the final reply still edits it
      return async () => {
        await adapter.edit(target.chatId, msg.id, chunk);
        msg.shown = text;
        msg.edits++;
      };
    }
    return undefined;
  }

  private failed(err: unknown): void {
    const code = channelErrorCode(err);
    const message = errorMessage(err);
    if (code === "rate_limited") {
      this.nextAt = this.platformFreeAt = this.now() + ((err as ChannelError).retryAfterMs ?? 1000);
      this.opts.logger.info({ channel: this.opts.target.channel, err: message }, "live reply slowed down by the platform's rate limit");
      return;
    }
    if (code === "transient") {
      this.nextAt = this.now() + 2 * this.opts.limits.minIntervalMs;
      this.platformFreeAt = this.now() + this.opts.limits.minIntervalMs;
      this.opts.logger.warn({ channel: this.opts.target.channel, err: message }, "live reply update failed; trying again with the next text");
      return;
    }
    // auth / permanent: streaming stops; the final reply goes through the outbox, which knows what to do
    this.stopped = true;
    this.opts.logger.warn({ channel: this.opts.target.channel, err: message }, "live reply stopped; the full answer follows when it is done");
  }
}
