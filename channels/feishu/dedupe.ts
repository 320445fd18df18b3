// Feishu delivers an event again when it saw no timely acknowledgement
// (webhook retries, long-connection redelivery after a reconnect); each
// carries the same header.event_id. An event id is remembered once its
// handling succeeded (bounded, oldest forgotten first); a copy arriving
// while the first is still being handled waits for that one's outcome.

export class EventDeduper {
  private readonly limit: number;
  private readonly done = new Map<string, true>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(limit = 4_096) {
    this.limit = limit;
  }

  /** Runs `handle` unless the event was handled before; true when it ran. Throws what `handle` threw. */
  async once(eventId: string, handle: () => Promise<void>): Promise<boolean> {
    if (this.done.has(eventId)) {
      // refresh its place: a redelivery storm keeps it remembered
      this.done.delete(eventId);
      this.done.set(eventId, true);
      return false;
    }
    const pending = this.running.get(eventId);
    if (pending) {
      await pending;
      return false;
    }
    const run = handle();
    this.running.set(eventId, run);
    try {
      await run;
    } finally {
      this.running.delete(eventId);
    }
    this.done.set(eventId, true);
    if (this.done.size > this.limit) this.done.delete(this.done.keys().next().value!);
    return true;
  }

  get size(): number {
    return this.done.size;
  }
}
