// Streams: the SDKs' timeouts end when the response headers arrive, so a
// stream that stalls mid-way would hang. This watchdog aborts a stream that
// has been silent for the entry's request_timeout.
export class IdleTimer {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private readonly ms: number;
  readonly signal: AbortSignal;

  constructor(ms: number, outer?: AbortSignal) {
    this.ms = ms;
    this.signal = outer ? AbortSignal.any([outer, this.controller.signal]) : this.controller.signal;
    this.touch();
  }

  /** true when this watchdog (not the caller) ended the stream */
  get fired(): boolean {
    return this.controller.signal.aborted;
  }

  touch(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.controller.abort(new Error("stream stalled")), this.ms);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
