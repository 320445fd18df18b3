// Backpressure for the pipeline: at most `limit` sessions run a turn at the
// same time; other sessions with waiting messages queue by key (their
// messages are already in the inbox, so the queue holds only keys, never
// payloads). A session is never run twice at once: a message arriving for a
// running session marks it to run again when its turn ends. Channels that
// pull updates (Telegram polling) wait for `room()` before reading more, so
// a burst stays in the platform's queue instead of in memory.
import type { TurnWork } from "../core/turn-work.ts";

/**
 * Turns under way across every pipeline of the process (a reload runs the
 * old pipeline's last turns beside the new one's), and how many have started
 * so far. Work in the background that would hold up a turn, such as the full
 * collection of settle-memory.ts, reads it to wait until no turn runs.
 */
export class TurnActivity implements TurnWork {
  private running = 0;
  private begun = 0;
  private readonly idleListeners = new Set<() => void>();

  /** turns running now */
  get underWay(): number {
    return this.running;
  }

  /** turns started since the process began: a look that sees it move knows work came and went */
  get started(): number {
    return this.begun;
  }

  begin(): void {
    this.running++;
    this.begun++;
  }

  end(): void {
    this.running--;
    if (this.running === 0) for (const l of this.idleListeners) l();
  }

  /** calls `listener` each time the last running turn ends; returns the unsubscribe */
  whenIdle(listener: () => void): () => void {
    this.idleListeners.add(listener);
    return () => this.idleListeners.delete(listener);
  }
}

/** the process's own: every TurnSlots reports to it unless given another (tests) */
export const turnActivity = new TurnActivity();

export class TurnSlots {
  private readonly limit: number;
  private readonly run: (key: string) => Promise<void>;
  private readonly busy = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  /** sessions waiting for a slot, in arrival order */
  private readonly queued = new Set<string>();
  private readonly roomWaiters: (() => void)[] = [];
  private open = true;
  private readonly activity: TurnActivity;

  constructor(limit: number, run: (key: string) => Promise<void>, activity: TurnActivity = turnActivity) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`turn limit must be a positive integer, got ${limit}`);
    this.limit = limit;
    this.run = run;
    this.activity = activity;
  }

  /** sessions running a turn now */
  get running(): number {
    return this.busy.size;
  }

  /** sessions with messages waiting for a free slot */
  get waiting(): number {
    return this.queued.size;
  }

  get full(): boolean {
    return this.busy.size >= this.limit;
  }

  /** asks for a turn of `key` (now, or when a slot frees up) */
  schedule(key: string): void {
    if (!this.open) return;
    if (this.busy.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.full) {
      this.queued.add(key);
      return;
    }
    this.queued.delete(key);
    this.activity.begin();
    let running: Promise<void>;
    try {
      running = this.run(key);
    } catch (err) {
      running = Promise.reject(err); // a slot (and the activity count) is given back even then
    }
    const p = running
      .catch(() => undefined) // run() reports its own failures; a slot is always given back
      .finally(() => this.release(key));
    this.busy.set(key, p);
  }

  /** resolves once a slot is free and nobody is queued (pull channels call this before reading more) */
  room(): Promise<void> {
    if (!this.open || (!this.full && this.queued.size === 0)) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /**
   * How many messages a pull channel should take in its next read: one for
   * each slot free now, and one set of slots more for the turns that end
   * while that read is on its way. What is read waits in memory until its
   * turn begins; a read of the platform's own maximum (Telegram: 100) kept a
   * burst's messages there for as long as the turns of the whole read took
   * (~20 ms), through two young-generation collections, so V8 moved each
   * one's objects to the old generation (bench/README.md, stop 20).
   */
  readAhead(): number {
    return Math.max(0, this.limit - this.busy.size) + this.limit;
  }

  /** no new turns start; waiting readers are let go */
  close(): void {
    this.open = false;
    this.queued.clear();
    this.dirty.clear();
    for (const w of this.roomWaiters.splice(0)) w();
  }

  /** every running turn */
  inFlight(): Promise<void>[] {
    return [...this.busy.values()];
  }

  private release(key: string): void {
    this.busy.delete(key);
    if (this.dirty.delete(key)) this.queued.add(key); // behind those already waiting: fair under a burst
    for (const next of this.queued) {
      if (this.full || !this.open) break;
      this.schedule(next);
    }
    if (!this.full && this.queued.size === 0) for (const w of this.roomWaiters.splice(0)) w();
    // after the next turn (if any) began: the process goes idle only when nothing follows
    this.activity.end();
  }
}
