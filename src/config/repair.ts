// A pre-pass over config text, before JSON5 parses it. It repairs two slips
// the reference documents themselves contain, and nothing else:
//   - numeric separators in number literals (`timeoutMs: 180_000`, doc 004),
//     which JSON5 does not accept;
//   - a missing comma between a value and the next key or element on the
//     following line (doc 001's Z.AI example: `"api_key": "..."` newline
//     `"api_base": ...`).
// Both are always syntax errors in JSON5, so repairing them never changes the
// meaning of a file that already parses. The scanner knows strings and
// comments, so text inside them is never touched. Repairs do not add or
// remove lines, so line numbers in later errors stay true.

export interface Repair {
  /** 1-based line of the repair */
  line: number;
  message: string;
}

export interface RepairResult {
  text: string;
  repairs: Repair[];
}

type TokenKind = "string" | "word" | "punct";
interface Token {
  kind: TokenKind;
  start: number;
  end: number;
  line: number;
  text: string;
}

const PUNCT = new Set(["{", "}", "[", "]", ":", ","]);
const NUMBER_WITH_SEPARATORS = /^[+-]?(?:0[xX][0-9a-fA-F]+(?:_[0-9a-fA-F]+)+|(?:\d+(?:_\d+)*)(?:\.\d+(?:_\d+)*)?(?:[eE][+-]?\d+(?:_\d+)*)?)$/;

/** Splits the text into strings, bare words (numbers, identifiers, literals) and punctuation. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "\n") {
      line++;
      i++;
    } else if (c === " " || c === "\t" || c === "\r" || c === "\uFEFF" || c === "\u00A0") {
      i++;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      i += 2;
      while (i < text.length && !(text[i] === "*" && text[i + 1] === "/")) {
        if (text[i] === "\n") line++;
        i++;
      }
      i += 2;
    } else if (c === '"' || c === "'") {
      const start = i;
      const startLine = line;
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === "\\") {
          if (text[i + 1] === "\n") line++;
          i++;
        } else if (text[i] === "\n") {
          break; // unterminated string: leave it to the parser to report
        }
        i++;
      }
      i++;
      tokens.push({ kind: "string", start, end: i, line: startLine, text: text.slice(start, i) });
    } else if (PUNCT.has(c)) {
      tokens.push({ kind: "punct", start: i, end: i + 1, line, text: c });
      i++;
    } else {
      const start = i;
      while (i < text.length && !/[\s{}[\]:,"'/]/.test(text[i]!)) i++;
      if (i === start) i++; // a lone "/" that starts no comment
      tokens.push({ kind: "word", start, end: i, line, text: text.slice(start, i) });
    }
  }
  return tokens;
}

interface Frame {
  type: "object" | "array";
  /** what the next token should be */
  expect: "key" | "colon" | "value" | "after";
}

/** Repairs numeric separators and missing commas between lines; see the file comment. */
export function repairConfigText(text: string): RepairResult {
  const tokens = tokenize(text);
  const edits: { at: number; remove: number; insert: string }[] = [];
  const repairs: Repair[] = [];
  const stack: Frame[] = [];
  let prev: Token | undefined;

  const startsValue = (t: Token) => t.kind !== "punct" || t.text === "{" || t.text === "[";

  for (const t of tokens) {
    const top = stack[stack.length - 1];
    // a value or key on a new line right after a complete value: the comma is missing
    if (top && top.expect === "after" && prev && startsValue(t) && t.line > prev.line) {
      edits.push({ at: prev.end, remove: 0, insert: "," });
      repairs.push({ line: prev.line, message: "missing comma added at the end of the line" });
      top.expect = top.type === "object" ? "key" : "value";
    }
    if (t.kind === "word" && NUMBER_WITH_SEPARATORS.test(t.text) && t.text.includes("_")) {
      edits.push({ at: t.start, remove: t.text.length, insert: t.text.replace(/_/g, "") });
      repairs.push({ line: t.line, message: `numeric separators removed (write ${t.text.replace(/_/g, "")}, not ${t.text})` });
    }
    const frame = stack[stack.length - 1];
    if (t.kind === "punct") {
      if (t.text === "{" || t.text === "[") {
        if (frame && frame.expect === "value") frame.expect = "after";
        stack.push({ type: t.text === "{" ? "object" : "array", expect: t.text === "{" ? "key" : "value" });
      } else if (t.text === "}" || t.text === "]") {
        stack.pop();
      } else if (t.text === ":" && frame?.expect === "colon") {
        frame.expect = "value";
      } else if (t.text === "," && frame) {
        frame.expect = frame.type === "object" ? "key" : "value";
      }
    } else if (frame) {
      if (frame.expect === "key") frame.expect = "colon";
      else if (frame.expect === "value") frame.expect = "after";
    }
    prev = t;
  }

  let out = text;
  for (const e of edits.sort((a, b) => b.at - a.at)) out = out.slice(0, e.at) + e.insert + out.slice(e.at + e.remove);
  repairs.sort((a, b) => a.line - b.line);
  return { text: out, repairs };
}
