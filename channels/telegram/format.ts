// Markdown as models write it, rendered as the HTML subset Telegram's
// parse_mode "HTML" accepts: b, i, s, code, pre, a, blockquote, tg-spoiler.
// The shared parser (src/core/markdown.ts) pairs the markup, so the output is
// always well-nested; the adapter still retries as plain text if Telegram
// rejects a message. Telegram has no headings, lists or tables: headings are
// bold lines, bullets are dots, tables are monospaced blocks.
import { alignedRows, renderMarkdown, type MarkdownStyle } from "../../src/core/markdown.ts";

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function escapeAttr(text: string): string {
  return escapeHtml(text).replace(/"/g, "&quot;");
}

/** schemes Telegram opens; anything else (javascript:, file:) stays visible text */
const SAFE_LINK = /^(https?:|tg:|mailto:)/i;

const telegramHtml: MarkdownStyle = {
  // ||spoiler|| is Telegram's own markup, not Markdown: honoured inside one run of text
  text: (t) => escapeHtml(t).replace(/\|\|(?!\s)(.+?)(?<!\s)\|\|/g, "<tg-spoiler>$1</tg-spoiler>"),
  strong: (inner) => `<b>${inner}</b>`,
  em: (inner) => `<i>${inner}</i>`,
  del: (inner) => `<s>${inner}</s>`,
  codespan: (code) => `<code>${escapeHtml(code)}</code>`,
  code: (code, lang) => `<pre><code${lang ? ` class="language-${escapeAttr(lang)}"` : ""}>${escapeHtml(code)}</code></pre>`,
  link: (label, href, plain) => (SAFE_LINK.test(href) ? `<a href="${escapeAttr(href)}">${label}</a>` : escapeHtml(`[${plain}](${href})`)),
  image: (alt, href) => (SAFE_LINK.test(href) ? `<a href="${escapeAttr(href)}">${escapeHtml(alt || "image")}</a>` : escapeHtml(alt)),
  heading: (inner) => `<b>${inner}</b>`,
  blockquote: (inner) => `<blockquote>${inner}</blockquote>`,
  hr: () => "──────",
  bullet: (ordered, n, checked) => (checked === undefined ? (ordered ? `${n}.` : "•") : checked ? "☑" : "☐"),
  table: (rows, align) => `<pre>${escapeHtml(alignedRows(rows, align).join("\n"))}</pre>`,
  html: (raw) => escapeHtml(raw),
};

/**
 * One line of words and plain punctuation, which Markdown renders as itself:
 * none of the characters that start markup, an entity, an autolink (`:`,
 * `@`, `www.`) or a spoiler, no list marker first, no whitespace at either end.
 */
const PLAIN_LINE = /^(?!\d+[.)])[^-+=\s\\*_~`[\]#>|<&:@](?:[^\n\r\t\\*_~`[\]#>|<&:@]*[^\s\\*_~`[\]#>|<&:@])?$/;

/** Converts one message's markdown to Telegram HTML. */
export function markdownToTelegramHtml(markdown: string): string {
  // a short plain answer is common and needs no parser (it costs a lexer run per reply otherwise)
  if (PLAIN_LINE.test(markdown) && !/www\./i.test(markdown)) return markdown;
  return renderMarkdown(markdown, telegramHtml);
}

/** Visible length of Telegram HTML (what counts against the 4096 limit). */
export function visibleLength(html: string): number {
  return html.replace(/<[^>]+>/g, "").replace(/&(amp|lt|gt|quot);/g, "_").length;
}
