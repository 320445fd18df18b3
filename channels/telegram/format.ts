// Markdown as models write it, turned into the HTML subset Telegram's
// parse_mode "HTML" accepts: b, i, s, code, pre, a, blockquote, tg-spoiler.
// Anything the converter cannot pair up stays literal text (escaped), so the
// output is always well-formed; the adapter still retries as plain text if
// Telegram rejects a message.

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function escapeAttr(text: string): string {
  return escapeHtml(text).replace(/"/g, "&quot;");
}

const FENCE = /^\s{0,3}(`{3,}|~{3,})\s*([\w+#.-]*)?.*$/;

/** Converts one message's markdown to Telegram HTML. */
export function markdownToTelegramHtml(markdown: string): string {
  const out: string[] = [];
  const lines = markdown.split("\n");
  let prose: string[] = [];
  const flushProse = () => {
    if (prose.length) out.push(convertProse(prose));
    prose = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const m = FENCE.exec(lines[i]!);
    if (!m) {
      prose.push(lines[i]!);
      continue;
    }
    const marker = m[1]!;
    const lang = m[2] ?? "";
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !lines[j]!.trim().startsWith(marker)) body.push(lines[j++]!);
    flushProse();
    const cls = lang ? ` class="language-${escapeAttr(lang)}"` : "";
    out.push(`<pre><code${cls}>${escapeHtml(body.join("\n"))}</code></pre>`);
    i = j; // skip the closing fence (or run to the end when it is missing)
  }
  flushProse();
  return out.join("\n");
}

function convertProse(lines: string[]): string {
  const out: string[] = [];
  let quote: string[] = [];
  const flushQuote = () => {
    if (quote.length) out.push(`<blockquote>${quote.join("\n")}</blockquote>`);
    quote = [];
  };
  for (const line of lines) {
    const q = /^\s{0,3}>\s?(.*)$/.exec(line);
    if (q) {
      quote.push(convertLine(q[1]!));
      continue;
    }
    flushQuote();
    out.push(convertLine(line));
  }
  flushQuote();
  return out.join("\n");
}

function convertLine(line: string): string {
  const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
  if (heading) return `<b>${inline(heading[1]!)}</b>`;
  if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) return "──────";
  const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line);
  if (bullet) return `${bullet[1]}• ${inline(bullet[2]!)}`;
  return inline(line);
}

/** Inline markup of one line. Code spans are cut out first so nothing inside them is touched. */
function inline(text: string): string {
  const held: string[] = [];
  const hold = (html: string) => `\u0000${held.push(html) - 1}\u0000`;
  let s = text.replace(/(`+)(.+?)\1/g, (_, _ticks, code: string) => hold(`<code>${escapeHtml(code.trim())}</code>`));
  s = s.replace(/\[([^\]\n]+)\]\(([^)\s]+)\)/g, (whole, label: string, url: string) =>
    /^(https?:|tg:|mailto:)/i.test(url) ? hold(`<a href="${escapeAttr(url)}">${inline(label)}</a>`) : whole,
  );
  s = escapeHtml(s);
  s = s.replace(/\*\*(?!\s)(.+?)(?<!\s)\*\*/g, "<b>$1</b>");
  s = s.replace(/(^|[^\w])__(?!\s)(.+?)(?<!\s)__(?!\w)/g, "$1<b>$2</b>");
  s = s.replace(/~~(?!\s)(.+?)(?<!\s)~~/g, "<s>$1</s>");
  s = s.replace(/\|\|(?!\s)(.+?)(?<!\s)\|\|/g, "<tg-spoiler>$1</tg-spoiler>");
  s = s.replace(/(^|[^\w*])\*(?![\s*])([^*]+?)(?<![\s*])\*(?![\w*])/g, "$1<i>$2</i>");
  s = s.replace(/(^|[^\w])_(?![\s_])([^_]+?)(?<![\s_])_(?!\w)/g, "$1<i>$2</i>");
  return s.replace(/\u0000(\d+)\u0000/g, (_, n: string) => held[Number(n)]!);
}

/** Visible length of Telegram HTML (what counts against the 4096 limit). */
export function visibleLength(html: string): number {
  return html
    .replace(/<[^>]+>/g, "")
    .replace(/&(amp|lt|gt|quot);/g, "_").length;
}
