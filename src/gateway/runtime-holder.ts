// Holds the runtime new turns use, and retires replaced ones. A reload swaps
// in a fresh runtime; a turn already running keeps the runtime it started on
// (its router, tools, agent) to the end, and a retired runtime is closed only
// once its last turn finished, so a reload never cuts a conversation short.
import type { Logger } from "../core/logger.ts";
import type { Runtime } from "./runtime.ts";
import { errorMessage } from "../core/errors.ts";

interface Slot {
  runtime: Runtime;
  users: number;
  retired: boolean;
  released: boolean;
}

export class RuntimeHolder {
  private slot: Slot;
  private readonly closing = new Set<Promise<void>>();
  private readonly log: Logger;

  constructor(first: Runtime, logger: Logger) {
    this.slot = { runtime: first, users: 0, retired: false, released: false };
    this.log = logger;
  }

  /** the runtime a new turn starts on */
  get current(): Runtime {
    return this.slot.runtime;
  }

  /** runs `fn` on the current runtime, which stays open until `fn` settles even if a reload replaces it */
  async use<T>(fn: (runtime: Runtime) => Promise<T>): Promise<T> {
    const slot = this.slot;
    slot.users++;
    try {
      return await fn(slot.runtime);
    } finally {
      slot.users--;
      if (slot.retired && slot.users === 0) this.release(slot);
    }
  }

  /** new turns use `next` from now on; the old runtime closes after its running turns */
  swap(next: Runtime): void {
    const old = this.slot;
    this.slot = { runtime: next, users: 0, retired: false, released: false };
    old.retired = true;
    if (old.users === 0) this.release(old);
  }

  /** closes the current runtime and waits for retired ones (shutdown, after turns were drained) */
  async close(): Promise<void> {
    this.slot.retired = true;
    this.release(this.slot);
    await Promise.allSettled([...this.closing]);
  }

  private release(slot: Slot): void {
    if (slot.released) return;
    slot.released = true;
    const done = slot.runtime
      .close()
      .catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, "closing a replaced runtime failed"))
      .finally(() => this.closing.delete(done));
    this.closing.add(done);
  }
}
