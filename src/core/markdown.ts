// One Markdown parser for every platform. Models write CommonMark/GFM; each
// channel describes how its platform shows each construct (a MarkdownStyle)
// and renderMarkdown walks the parsed document once. The parser (marked's
// lexer) pairs emphasis, escapes, links with parentheses in their URL and
// autolinks correctly, which the per-platform regex converters did not.
//
// Layout is kept as the model wrote it: blocks are separated by one line
// break, or by a blank line where the source had one.
import { createRequire } from "node:module";
import type { Lexer, Token, Tokens } from "marked";

export interface MarkdownStyle {
  /** literal text as the platform needs it (HTML escaping, or as is) */
  text(text: string): string;
  /**
   * markup characters the model escaped (`\\*`) or that are not markup here;
   * a platform that re-emits Markdown escapes them again. Default: text().
   */
  literal?(text: string): string;
  strong(inner: string): string;
  em(inner: string): string;
  del(inner: string): string;
  codespan(code: string): string;
  /** a fenced or indented code block; `code` is the verbatim body */
  code(code: string, lang: string | undefined): string;
  /** `label` is already rendered; `href` is the raw URL */
  link(label: string, href: string, plainLabel: string): string;
  image(alt: string, href: string): string;
  heading(inner: string, depth: number): string;
  /** `inner` is the rendered quote body (lines joined with \n) */
  blockquote(inner: string): string;
  hr(): string;
  /** the marker in front of a list item ("•", "1.", "☑" …) */
  bullet(ordered: boolean, index: number, checked: boolean | undefined): string;
  /** rows of cells as plain words (no markup); the first row is the header */
  table(rows: string[][], align: (string | null)[]): string;
  /** inline HTML or a block of HTML the model wrote: shown as text */
  html(raw: string): string;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

/** the few entity references models write, decoded (the rest stays literal) */
export function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|nbsp|#(\d{1,6})|#x([0-9a-f]{1,6}));/gi, (whole, name: string, dec?: string, hex?: string) => {
    if (dec || hex) {
      const code = Number.parseInt(dec ?? hex!, dec ? 10 : 16);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

// marked builds its ~100 regular expressions as it loads (10–15 ms of CPU), and the Telegram, WhatsApp,
// Feishu and QQ channels import this module while a gateway starts: marked loads on the first render
// instead (Node 24 requires an ES module synchronously), or from the warm-up after /ready (preloadMarkdown)
let LexerClass: typeof Lexer | undefined;
function markedLexer(): typeof Lexer {
  return (LexerClass ??= (createRequire(import.meta.url)("marked") as typeof import("marked")).Lexer);
}

/** loads the parser now, so that the first reply does not wait for it (the gateway's warm-up) */
export async function preloadMarkdown(): Promise<void> {
  markedLexer();
}

const lexer = () => new (markedLexer())({ gfm: true, breaks: false });

export function renderMarkdown(markdown: string, style: MarkdownStyle): string {
  return blocks(lexer().lex(markdown), style).trimEnd();
}

/** the plain words of some Markdown (no markup), e.g. to measure or to label */
export function inlineText(tokens: Token[] | undefined): string {
  return (tokens ?? [])
    .map((t) => {
      if ("tokens" in t && t.tokens && t.type !== "text") return inlineText(t.tokens);
      if (t.type === "codespan" || t.type === "escape") return t.text;
      if (t.type === "br") return "\n";
      if (t.type === "image") return t.text;
      return "text" in t ? decodeEntities(String(t.text)) : "";
    })
    .join("");
}

function blocks(tokens: Token[], style: MarkdownStyle): string {
  let out = "";
  let pendingBreaks = 0;
  for (const t of tokens) {
    if (t.type === "space") {
      pendingBreaks += count(t.raw, "\n");
      continue;
    }
    const rendered = block(t, style);
    if (out) out += pendingBreaks + trailingBreaks(out) >= 2 ? "\n\n" : "\n";
    out += rendered;
    pendingBreaks = trailingBreaks(t.raw);
  }
  return out;
}

function count(text: string, ch: string): number {
  return text.split(ch).length - 1;
}

function trailingBreaks(text: string): number {
  return text.length - text.replace(/\n+$/, "").length;
}

function block(t: Token, style: MarkdownStyle): string {
  switch (t.type) {
    case "paragraph":
      return inline(t.tokens, style);
    case "text":
      return "tokens" in t && t.tokens ? inline(t.tokens, style) : style.text(decodeEntities(t.text));
    case "heading":
      return style.heading(inline(t.tokens, style), t.depth);
    case "code":
      return style.code(t.text, t.lang || undefined);
    case "blockquote":
      return style.blockquote(blocks(t.tokens ?? [], style));
    case "hr":
      return style.hr();
    case "list":
      return list(t as Tokens.List, style, 0);
    case "table":
      return table(t as Tokens.Table, style);
    case "html":
      return style.html(t.raw.replace(/\n+$/, ""));
    case "def":
      return "";
    default:
      return style.text(t.raw.replace(/\n+$/, ""));
  }
}

function list(l: Tokens.List, style: MarkdownStyle, depth: number): string {
  const start = typeof l.start === "number" ? l.start : 1;
  const indent = "  ".repeat(depth);
  return l.items
    .map((item, i) => {
      const parts: string[] = [];
      for (const t of item.tokens) {
        if (t.type === "checkbox" || t.type === "space") continue;
        // nested lists indent themselves; other blocks hang under the marker
        parts.push(t.type === "list" ? list(t as Tokens.List, style, depth + 1) : hang(block(t, style), `${indent}  `, parts.length === 0));
      }
      const marker = style.bullet(l.ordered, start + i, item.task ? item.checked === true : undefined);
      return `${indent}${marker} ${parts.join("\n")}`;
    })
    .join("\n");
}

/** every line but (for the first block of an item) the first, indented under the list marker */
function hang(text: string, indent: string, first: boolean): string {
  return text
    .split("\n")
    .map((line, n) => (n === 0 && first ? line : indent + line))
    .join("\n");
}

function table(t: Tokens.Table, style: MarkdownStyle): string {
  const rows = [t.header.map((c) => inlineText(c.tokens)), ...t.rows.map((r) => r.map((c) => inlineText(c.tokens)))];
  return style.table(rows, t.align);
}

function inline(tokens: Token[] | undefined, style: MarkdownStyle): string {
  const list = tokens ?? [];
  let out = "";
  for (let i = 0; i < list.length; i++) {
    const t = list[i]!;
    if ((t.type === "em" || t.type === "strong") && intraword(t, list[i - 1], list[i + 1])) {
      out += (style.literal ?? style.text)(t.raw);
      continue;
    }
    out += inlineToken(t, style);
  }
  return out;
}

/**
 * `a*b*c` is emphasis to CommonMark, but in chat it is almost always
 * arithmetic or a pattern: `*` emphasis squeezed between letters on both
 * sides stays literal (underscores already do, by the spec).
 */
function intraword(t: Token, before: Token | undefined, after: Token | undefined): boolean {
  if (!t.raw.startsWith("*")) return false;
  const prev = before && before.type === "text" ? before.raw : "";
  const next = after && after.type === "text" ? after.raw : "";
  return /\w$/.test(prev) && /^\w/.test(next);
}

function inlineToken(t: Token, style: MarkdownStyle): string {
  switch (t.type) {
    case "text":
      return "tokens" in t && t.tokens ? inline(t.tokens, style) : style.text(decodeEntities(t.text));
    case "escape":
      return (style.literal ?? style.text)(t.text);
    case "strong":
      return style.strong(inline(t.tokens, style));
    case "em":
      return style.em(inline(t.tokens, style));
    case "del":
      return style.del(inline(t.tokens, style));
    case "codespan":
      return style.codespan(t.text);
    case "br":
      return "\n";
    case "link":
      return style.link(inline(t.tokens, style), t.href, inlineText(t.tokens));
    case "image":
      return style.image(t.text, t.href);
    case "html":
      return style.html(t.raw);
    default:
      return style.text(t.raw);
  }
}

/** East Asian wide characters and emoji take two columns in a monospaced font */
const WIDE = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1faff}\u{20000}-\u{3fffd}]/u;

function width(cell: string): number {
  let n = 0;
  for (const ch of cell) n += WIDE.test(ch) ? 2 : 1;
  return n;
}

/** cells padded to their column's width, for platforms that show tables as monospaced text */
export function alignedRows(rows: string[][], align: (string | null)[]): string[] {
  const columns = Math.max(...rows.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, c) => Math.max(...rows.map((r) => width(r[c] ?? ""))));
  const pad = (cell: string, c: number) => {
    const gap = " ".repeat(Math.max(0, widths[c]! - width(cell)));
    return align[c] === "right" ? gap + cell : cell + gap;
  };
  const lines = rows.map((r) => widths.map((_, c) => pad(r[c] ?? "", c)).join(" | ").trimEnd());
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("-+-"));
  return lines;
}
