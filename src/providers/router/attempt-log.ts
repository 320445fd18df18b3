// A bounded ring of the most recent attempts, for `status` and debugging.
import type { Attempt } from "../types.ts";

export class AttemptRing {
  private readonly buf: (Attempt | undefined)[];
  private next = 0;
  private size = 0;

  constructor(capacity: number) {
    this.buf = new Array<Attempt | undefined>(Math.max(1, Math.floor(capacity)));
  }

  push(a: Attempt): void {
    this.buf[this.next] = a;
    this.next = (this.next + 1) % this.buf.length;
    if (this.size < this.buf.length) this.size++;
  }

  /** the last `limit` attempts, oldest first */
  recent(limit = this.size): Attempt[] {
    const n = Math.max(0, Math.min(Math.floor(limit), this.size));
    const out: Attempt[] = [];
    for (let i = n; i > 0; i--) {
      const a = this.buf[(this.next - i + this.buf.length) % this.buf.length];
      if (a) out.push({ ...a });
    }
    return out;
  }
}
