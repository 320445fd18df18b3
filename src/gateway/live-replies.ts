// The live replies of the turns running now, and what makes them safe across
// a crash. Every live message id is written to the kv table (key
// `live_reply:<turn id>`; the turn id is `inbox:<first inbox row id>`, the
// same when the turn runs again after a restart) as soon as the platform
// returned it. The final reply is stored in the outbox with its first text
// chunks marked "edit message X" instead of "send new", and live messages the
// final reply does not need marked "delete", in the same transaction that
// removes the kv record. So:
//   - a crash mid-stream: the turn runs again, its new live text edits the
//     recorded messages, and the final reply edits them to the full answer;
//   - a crash after the reply was stored: the outbox edits on restart;
//   - a live message whose send was still under way when the reply was
//     stored is taken over in memory by the first final chunk no live
//     message was bound to (ChunkRebind; deleted when there is none);
//   - the one window: a crash after the platform accepted a live message's
//     first send but before its id was written (a few milliseconds), or
//     before such a late message was taken over, leaves that partial
//     message behind; the re-run then starts a new one. The outbox has the
//     same window for any sent chunk.
import type { ChannelAdapter, OutboundChunk } from "../core/channel.ts";
import type { Logger } from "../core/logger.ts";
import type { AsyncKvStore } from "../store/backend.ts";
import { LiveReply, type LiveTarget } from "./live-reply.ts";
import type { ChunkRebind } from "./outbox.ts";
import { errorMessage } from "../core/errors.ts";

export type StreamingMode = "edit" | "off";

export interface LiveRepliesOptions {
  /** the store's kv outside any transaction: live message ids are written as they appear */
  kv: AsyncKvStore;
  adapter: (channel: string) => ChannelAdapter | undefined;
  /** channels.<id>.streaming, read at every turn (a reload changes it for the next turn) */
  mode: (channel: string) => StreamingMode;
  logger: Logger;
  now?: () => number;
}

interface Record {
  channel: string;
  chatId: string;
  ids: string[];
}

const keyOf = (turnId: string) => `live_reply:${turnId}`;

export class LiveReplies {
  private readonly opts: LiveRepliesOptions;
  private readonly active = new Map<string, LiveReply>();
  /** live replies of turns that ended without a reply (failed, aborted): their failure reply or re-run takes them */
  private readonly ended = new Map<string, { live: LiveReply; closed: Promise<void> }>();
  /** turns finished whose kv record may exist (forget() deletes it; other replies cost no write) */
  private readonly finished = new Set<string>();

  constructor(opts: LiveRepliesOptions) {
    this.opts = opts;
  }

  /**
   * A live reply for this turn, or undefined when the channel does not
   * stream (mode off, no edit support). `ranBefore`: the turn may have run
   * in an earlier life (or on another gateway), so the store may record
   * live messages it sent; false saves reading it.
   */
  async start(turnId: string, target: LiveTarget, ranBefore = true): Promise<LiveReply | undefined> {
    const adapter = this.opts.adapter(target.channel);
    if (this.opts.mode(target.channel) !== "edit" || !adapter?.capabilities.edit || !adapter.edit) return undefined;
    const left = this.ended.get(turnId);
    this.ended.delete(turnId);
    const earlier = left?.live.ids.length ? left.live.shown : ranBefore ? (await this.record(this.opts.kv, turnId))?.ids.map((id) => ({ id })) : undefined;
    const live = new LiveReply({
      adapter: adapter as ChannelAdapter & Required<Pick<ChannelAdapter, "edit">>,
      target,
      limits: adapter.liveEdits ?? { minIntervalMs: 1000 },
      ...(earlier?.length ? { reuse: earlier } : {}),
      onMessages: (ids) => this.save(turnId, { channel: target.channel, chatId: target.chatId, ids }),
      logger: this.opts.logger,
      ...(this.opts.now ? { now: this.opts.now } : {}),
    });
    this.active.set(turnId, live);
    return live;
  }

  /**
   * The turn's final chunks, bound to its live messages: the first text
   * chunks edit them in order, live messages left over are deleted. Stops
   * the live reply; `ready` resolves when the outbox may touch the messages
   * (no live edit under way, the platform's interval passed), with the
   * chunk that takes over a live message whose send was still under way;
   * absent when there is nothing to wait for.
   * forget() once the reply is stored, inside the same transaction when
   * there is one; `kv` is that transaction's (the record of a turn run before
   * a restart is read through it).
   */
  async finish(turnId: string, chunks: OutboundChunk[], kv: AsyncKvStore, ranBefore = true): Promise<{ chunks: OutboundChunk[]; ready?: Promise<ChunkRebind | undefined> }> {
    const live = this.active.get(turnId) ?? this.ended.get(turnId)?.live;
    const closed = this.ended.get(turnId)?.closed ?? (live ? live.close() : Promise.resolve());
    this.active.delete(turnId);
    this.ended.delete(turnId);
    const recorded = live || !ranBefore ? undefined : await this.record(kv, turnId);
    const known = live ? live.shown : (recorded?.ids ?? []).map((id): { id: string; shown?: string } => ({ id }));
    const ids = known.map((m) => m.id);
    // a record exists only once a live message was sent: a quick answer costs no kv delete
    if (ids.length > 0) this.finished.add(turnId);
    const out: OutboundChunk[] = [];
    let next = 0;
    let spare = -1;
    for (const c of chunks) {
      const text = !c.media && c.text.trim() !== "";
      if (text && next < ids.length) {
        const m = known[next++]!;
        // a live message already showing this very chunk needs no edit (and Feishu counts every edit)
        if (!(m.shown === c.text && c.format === "markdown")) out.push({ ...c, edits: m.id });
      } else {
        if (text && spare < 0) spare = out.length;
        out.push(c);
      }
    }
    const threadId = chunks.find((c) => c.threadId)?.threadId;
    for (const id of ids.slice(next)) out.push({ text: "", format: "plain", edits: id, remove: true, ...(threadId ? { threadId } : {}) });
    // a live reply with nothing under way (a quick answer streamed nothing) has nothing to wait for
    // or take over: no `ready`, so the outbox sends it in the drain its commit starts
    if (!live || live.idle) return { chunks: out };
    const ready = closed.then(() => this.takeOverLate(live, ids.length, spare, threadId));
    return { chunks: out, ready };
  }

  /** live messages sent after the reply was bound: the spare chunk edits the first, the rest are deleted */
  private async takeOverLate(live: LiveReply | undefined, bound: number, spare: number, threadId: string | undefined): Promise<ChunkRebind | undefined> {
    const late = live?.ids.slice(bound) ?? [];
    let rebind: ChunkRebind | undefined;
    for (const id of late) {
      if (!rebind && spare >= 0) {
        rebind = { seq: spare, edits: id };
        continue;
      }
      try {
        await this.opts.adapter(live!.target.channel)?.deleteMessage?.(live!.target.chatId, id, threadId);
      } catch (err) {
        this.opts.logger.warn({ err: errorMessage(err) }, "could not delete a streamed message the answer no longer needs");
      }
    }
    return rebind;
  }

  /** the reply is stored (through `kv`, the same transaction, when there is one): the record of its live messages goes */
  async forget(turnId: string, kv: AsyncKvStore): Promise<void> {
    if (!this.finished.delete(turnId)) return;
    await kv.delete(keyOf(turnId));
  }

  /** the turn ended without a reply (failed, or aborted at shutdown): stop editing, keep the messages for its failure reply or re-run */
  end(turnId: string): void {
    const live = this.active.get(turnId);
    if (!live) return;
    this.active.delete(turnId);
    this.ended.set(turnId, { live, closed: live.close() });
  }

  private async record(kv: AsyncKvStore, turnId: string): Promise<Record | undefined> {
    try {
      return await kv.get<Record>(keyOf(turnId));
    } catch (err) {
      this.opts.logger.warn({ turn: turnId, err: errorMessage(err) }, "could not read a live reply's messages");
      return undefined;
    }
  }

  private save(turnId: string, rec: Record): void {
    // a turn whose reply is bound already (finish) keeps its ids in the reply: no record to write
    if (!this.active.has(turnId) && !this.ended.has(turnId)) return;
    this.opts.kv.set(keyOf(turnId), rec).catch((err: unknown) => {
      // the message exists but is unrecorded: a crash now would leave it behind (logged so it can be told)
      this.opts.logger.warn({ turn: turnId, err: errorMessage(err) }, "could not record a live reply's message id");
    });
  }
}
