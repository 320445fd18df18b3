// Compactions that run after their turn, outside the session's lane. The
// turn's history and reply are committed and the reply is on its way before a
// compaction starts, and the chat's next message does not wait for the
// summary call: it reads the history as it stands (uncompacted until the
// summary is stored). SessionStore.compact keeps every message from the first
// kept id on, so what turns append meanwhile survives the compaction.
//
// At most one compaction runs per session; a turn that finds one running
// leaves the session to it (the next turn looks again). A compaction can be
// abandoned (a /reset, the overflow path's own summary, shutdown or reload):
// once abandoned it writes nothing, and cancel() resolves only when it has
// settled, so a reset is never followed by a summary of the history it
// dropped and two summaries of one history are never stored.
import type { Logger } from "../core/logger.ts";
import type { ChatMessage } from "../core/chat.ts";
import { compactionNeed, compactSession, type CompactionDeps, type CompactOptions, type PromptSize } from "./compaction.ts";
import { errorMessage } from "../core/errors.ts";

interface Running {
  controller: AbortController;
  done: Promise<void>;
}

export class BackgroundCompactions {
  private readonly running = new Map<string, Running>();
  private closed = false;
  private readonly deps: CompactionDeps;
  private readonly log: Logger | undefined;

  constructor(deps: CompactionDeps) {
    this.deps = deps;
    this.log = deps.logger;
  }

  /**
   * After a turn saved `history` (its reading of the session plus what it
   * added): starts a compaction when that history is over the message or
   * context limit. Reads nothing; returns whether one started.
   */
  afterTurn(key: string, turn: PromptSize & { history: readonly ChatMessage[]; model?: string }): boolean {
    const { history, model, ...size } = turn;
    if (!compactionNeed(history, size)) return false;
    this.log?.debug({ session: key }, "compacting the session");
    return this.start(key, { ...(model ? { model } : {}), recheck: { ...size, messageCount: history.length } });
  }

  /**
   * Starts compacting `key` and returns at once. False (nothing started) when
   * a compaction of `key` is running already or the agent is closing.
   */
  start(key: string, opts: Omit<CompactOptions, "signal"> = {}): boolean {
    if (this.closed || this.running.has(key)) return false;
    const controller = new AbortController();
    const entry: Running = { controller, done: this.run(key, opts, controller.signal) };
    this.running.set(key, entry);
    // settles after set() above: a compaction never ends synchronously
    void entry.done.finally(() => {
      if (this.running.get(key) === entry) this.running.delete(key);
    });
    return true;
  }

  private async run(key: string, opts: Omit<CompactOptions, "signal">, signal: AbortSignal): Promise<void> {
    try {
      // from the next turn of the event loop: the reply's send, queued just before, goes out first
      await nextTick();
      signal.throwIfAborted();
      await compactSession(this.deps, key, { ...opts, signal });
    } catch (err) {
      // abandoned on purpose: nothing was written and nothing is wrong
      if (signal.aborted) return;
      // the reply is saved; the next turn tries again
      this.log?.warn({ session: key, err: errorMessage(err) }, "could not compact the session; will try after the next turn");
    }
  }

  /** Whether a compaction of `key` is running. */
  has(key: string): boolean {
    return this.running.has(key);
  }

  /** Compactions running now. */
  get size(): number {
    return this.running.size;
  }

  /** Abandons `key`'s running compaction, if any, and resolves once it has settled (its store write, if it began, is done). */
  async cancel(key: string): Promise<void> {
    const entry = this.running.get(key);
    if (!entry) return;
    entry.controller.abort();
    await entry.done;
  }

  /** Resolves once no compaction is running (those started meanwhile included). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()].map((r) => r.done));
  }

  /** Starts no more compactions, abandons the running ones and waits until they have settled. */
  async close(): Promise<void> {
    this.closed = true;
    for (const entry of this.running.values()) entry.controller.abort();
    await this.idle();
  }
}

/** Resolves after the I/O already waiting (a macrotask, not a delay). */
function nextTick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
