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

const STREAM = { stream: true };

/** The events of `body` (bytes as a Node stream, a web ReadableStream or any async-iterable gives them). */
export async function* sseEvents(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<SseEvent, void, undefined> {
  const decoder = new TextDecoder();
  let pending = "";
  let event = "";
  // an event's data lines: the first, and any further ones (rare) apart, so one line costs no array
  let data: string | undefined;
  let more: string[] | undefined;
  /** the line s[from, to), read in place: a data or event line costs one string, its value */
  const line = (s: string, from: number, to: number): SseEvent | undefined => {
    if (from === to) {
      if (data === undefined) {
        event = "";
        return undefined;
      }
      const out = { event, data: more ? [data, ...more].join("\n") : data };
      event = "";
      data = more = undefined;
      return out;
    }
    if (s.charCodeAt(from) === 58 /* ":" a comment */) return undefined;
    const colon = s.indexOf(":", from);
    const fieldEnd = colon < 0 || colon > to ? to : colon;
    let valueStart = fieldEnd === to ? to : fieldEnd + 1;
    if (valueStart < to && s.charCodeAt(valueStart) === 32) valueStart++;
    const fieldLength = fieldEnd - from;
    if (fieldLength === 4 && s.startsWith("data", from)) {
      const value = s.slice(valueStart, to);
      if (data === undefined) data = value;
      else (more ??= []).push(value);
    } else if (fieldLength === 5 && s.startsWith("event", from)) event = s.slice(valueStart, to);
    return undefined;
  };
  for await (const chunk of body) {
    pending += typeof chunk === "string" ? chunk : decoder.decode(chunk, STREAM);
    let start = 0;
    // the first CR at or after `start`, looked for again only once passed: a stream without CRs
    // (most) is not searched to its end for one on every line
    let cr = pending.indexOf("\r");
    for (;;) {
      if (cr >= 0 && cr < start) cr = pending.indexOf("\r", start);
      const lf = pending.indexOf("\n", start);
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
      const ev = line(pending, start, end);
      start = next;
      if (ev) yield ev;
    }
    pending = pending.slice(start);
  }
  pending += decoder.decode();
  // the last line may lack its terminator, and the stream its closing blank line
  if (pending.endsWith("\r")) pending = pending.slice(0, -1);
  if (pending) line(pending, 0, pending.length);
  const last = line("", 0, 0);
  if (last) yield last;
}
