// Text helpers for search results: HTML fragments (Brave's <strong> highlights,
// DuckDuckGo's <b>) to plain text, and the compact numbered rendering the
// model reads.
import type { BackendName, SearchOutcome } from "./types.ts";

const NAMED: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  hellip: "…",
  mdash: "—",
  ndash: "–",
  laquo: "«",
  raquo: "»",
  rsquo: "’",
  lsquo: "‘",
  rdquo: "”",
  ldquo: "“",
};

/** Decodes named (common) and numeric character references. */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === "#") {
      const code = ref[1] === "x" || ref[1] === "X" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED[ref.toLowerCase()] ?? whole;
  });
}

/** An HTML fragment as one line of plain text. */
export function plainText(fragment: string): string {
  return decodeEntities(fragment.replace(/<[^>]*>/g, "")).replace(/\s+/g, " ").trim();
}

const SNIPPET_MAX = 400;

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1).trimEnd()}…` : s;
}

/** Compact numbered text for the model. */
export function renderOutcome(query: string, backend: BackendName, outcome: SearchOutcome): string {
  const lines: string[] = [];
  if (outcome.answer) {
    lines.push(`Answer for "${query}" (via ${backend}):`, outcome.answer.trim(), "");
    if (outcome.results.length > 0) lines.push("Sources:");
  } else if (outcome.results.length === 0) {
    return `No results for "${query}" (via ${backend}).`;
  } else {
    lines.push(`Results for "${query}" (via ${backend}):`);
  }
  outcome.results.forEach((r, i) => {
    lines.push(`${i + 1}. ${r.title || r.url}`, `   ${r.url}`);
    if (r.snippet) lines.push(`   ${clip(r.snippet, SNIPPET_MAX)}`);
  });
  return lines.join("\n").trimEnd();
}
