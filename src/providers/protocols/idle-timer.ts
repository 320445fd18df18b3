// Streams: the SDKs' timeouts end when the response headers arrive, so a
// stream that stalls mid-way would hang. This watchdog aborts a stream that
// has been silent for the entry's request_timeout. Its signal is a plain
// one that the caller's signal forwards to (not AbortSignal.any: the SDK
// reads `aborted` for every line of the stream, and a composite signal
// recomputes it from its sources each time); stop() detaches it.
export class IdleTimer {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly outer: AbortSignal | undefined;
  private readonly forward = (): void => this.controller.abort(this.outer?.reason);
  private expired = false;
  private stopped = false;
  readonly signal: AbortSignal;

  constructor(ms: number, outer?: AbortSignal) {
    this.signal = this.controller.signal;
    this.outer = outer;
    if (outer?.aborted) this.forward();
    else outer?.addEventListener("abort", this.forward, { once: true });
    this.timer = setTimeout(() => {
      this.expired = true;
      this.controller.abort(new Error("stream stalled"));
    }, ms);
    this.timer.unref();
  }

  /** true when this watchdog (not the caller) ended the stream */
  get fired(): boolean {
    return this.expired;
  }

  /** the stream said something: the silence starts again (re-arms the one timer) */
  touch(): void {
    if (!this.stopped && !this.expired) this.timer.refresh();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.outer?.removeEventListener("abort", this.forward);
  }
}
