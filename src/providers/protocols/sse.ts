// Server-sent events from a streamed answer's body, per the WHATWG event
// stream format: lines end with CRLF, LF or CR; `data:` lines of one event are
// joined with newlines; a blank line ends the event; comments (`:`), `id`
// and `retry` are skipped; like the SDK, an event the stream ends in without
// its blank line still counts. The OpenAI-compatible and Anthropic clients
// read their streams with this instead of the SDKs' stream classes, whose
// generators, abort checks and byte scanning per event cost more CPU than the
// rest of a streamed call (bench/http-clients.ts); the SDKs still build and
// send the request and turn an HTTP error into their errors.

export interface SseEvent {
  /** the `event:` field, "" when the event had none */
  event: string;
  data: string;
}

/** The events of `body` (bytes as a Node stream, a web ReadableStream or any async-iterable gives them). */
export async function* sseEvents(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<SseEvent, void, undefined> {
  const decoder = new TextDecoder();
  let pending = "";
  let event = "";
  let data: string[] = [];
  const line = (l: string): SseEvent | undefined => {
    if (l === "") {
      if (!data.length) {
        event = "";
        return undefined;
      }
      const out = { event, data: data.join("\n") };
      event = "";
      data = [];
      return out;
    }
    if (l.charCodeAt(0) === 58 /* ":" a comment */) return undefined;
    const colon = l.indexOf(":");
    const field = colon < 0 ? l : l.slice(0, colon);
    let value = colon < 0 ? "" : l.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event") event = value;
    return undefined;
  };
  for await (const chunk of body) {
    pending += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let start = 0;
    for (;;) {
      const lf = pending.indexOf("\n", start);
      const cr = pending.indexOf("\r", start);
      let end: number;
      let next: number;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        // a CR at the very end may be the first half of a CRLF split over two chunks
        if (cr === pending.length - 1) break;
        end = cr;
        next = pending.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
      } else if (lf >= 0) {
        end = lf;
        next = lf + 1;
      } else break;
      const ev = line(pending.slice(start, end));
      start = next;
      if (ev) yield ev;
    }
    pending = pending.slice(start);
  }
  pending += decoder.decode();
  // the last line may lack its terminator, and the stream its closing blank line
  if (pending.endsWith("\r")) pending = pending.slice(0, -1);
  if (pending) line(pending);
  const last = line("");
  if (last) yield last;
}
