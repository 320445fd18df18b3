// Splits a reply into pieces a channel accepts. Cuts fall at the best
// boundary available inside the limit: a paragraph, then a line, then a
// sentence, then a word; only a single unbroken run longer than the limit is
// cut mid-word. A code fence open at a cut is closed at the end of the piece
// and reopened (with its language) at the start of the next, so every piece
// renders on its own.

const FENCE = /^\s{0,3}(`{3,}|~{3,})(.*)$/;

interface Fence {
  marker: string;
  info: string;
}

/** The fence still open after `text`, given the one open before it. */
function fenceAfter(text: string, open: Fence | undefined): Fence | undefined {
  let state = open;
  for (const line of text.split("\n")) {
    const m = FENCE.exec(line);
    if (!m) continue;
    const marker = m[1]!;
    if (!state) state = { marker, info: m[2]!.trim() };
    else if (marker[0] === state.marker[0] && marker.length >= state.marker.length && m[2]!.trim() === "") state = undefined;
  }
  return state;
}

const SENTENCE_END = /[.!?。！？]["')\]]?\s/g;

/** Index to cut `text` at so that text.slice(0, i) fits in `budget`. */
function cutPoint(text: string, budget: number): number {
  const window = text.slice(0, budget + 1);
  // Cuts too close to the start make many tiny pieces; prefer a lower-ranked
  // boundary further on unless nothing else exists.
  const floor = Math.floor(budget * 0.4);
  const para = window.lastIndexOf("\n\n", budget);
  if (para > floor) return para;
  const line = window.lastIndexOf("\n", budget);
  if (line > floor) return line;
  let sentence = -1;
  for (const m of window.matchAll(SENTENCE_END)) {
    const end = m.index + m[0].length - 1; // keep the punctuation, cut before the space
    if (end <= budget) sentence = end;
  }
  if (sentence > floor) return sentence;
  const space = window.lastIndexOf(" ", budget);
  if (space > 0) return space;
  if (para > 0) return para;
  if (line > 0) return line;
  // no boundary at all: hard cut, never inside a surrogate pair
  let hard = budget;
  const code = text.charCodeAt(hard - 1);
  if (code >= 0xd800 && code <= 0xdbff) hard -= 1;
  return Math.max(1, hard);
}

/**
 * Splits `text` into chunks of at most `limit` characters. Whitespace at the
 * cut is dropped; text inside code fences keeps its indentation.
 */
export function chunkText(text: string, limit: number): string[] {
  if (limit < 16) throw new RangeError(`chunk limit ${limit} is too small (need at least 16)`);
  const chunks: string[] = [];
  let rest = text.replace(/\s+$/, "");
  let open: Fence | undefined;
  while (rest.length > 0) {
    const prefix = open ? `${open.marker}${open.info}\n` : "";
    if (prefix.length + rest.length <= limit) {
      chunks.push(prefix + rest);
      break;
    }
    // room for a closing fence the piece may need
    const fenceLen = Math.max(open?.marker.length ?? 0, longestFenceMarker(rest));
    const closeRoom = fenceLen > 0 ? 1 + fenceLen : 0;
    const budget = limit - prefix.length - closeRoom;
    const cut = cutPoint(rest, budget);
    const piece = rest.slice(0, cut).replace(/\s+$/, "");
    const after = fenceAfter(piece, open);
    chunks.push(prefix + piece + (after ? `\n${after.marker}` : ""));
    open = after;
    rest = rest.slice(cut);
    // drop the boundary itself; inside code keep leading spaces of the next line
    rest = open ? rest.replace(/^\n+/, "") : rest.replace(/^\s+/, "");
  }
  return chunks.filter((c) => c.trim().length > 0);
}

function longestFenceMarker(text: string): number {
  let longest = 0;
  for (const m of text.matchAll(/^\s{0,3}(`{3,}|~{3,})/gm)) longest = Math.max(longest, m[1]!.length);
  return longest;
}

/** `text` with a code fence left open at its end closed: a partial reply shown while it streams renders as code. */
export function withOpenFenceClosed(text: string): string {
  const open = fenceAfter(text, undefined);
  return open ? `${text}\n${open.marker}` : text;
}
