// QQ shows text messages (msg_type 0) as typed: Markdown would arrive with
// its asterisks and backticks, and native Markdown messages need a template
// permission most bots lack. So replies written in Markdown are turned into
// plain text with a light touch: emphasis markers, inline-code backticks,
// code fences and heading hashes go; links become "text (url)"; lists,
// quotes and line breaks stay as they are, since they read fine as text.
//
// QQ also refuses a message whose text holds a URL that is not registered in
// the bot's console (codes 304003 / 40054010). defangUrls() rewrites URLs so
// a person can still read them but QQ no longer sees a link; the sender uses
// it for one more try after such a refusal.
import { alignedRows, renderMarkdown, type MarkdownStyle } from "../../src/core/markdown.ts";

const plain: MarkdownStyle = {
  text: (t) => t,
  strong: (inner) => inner,
  em: (inner) => inner,
  del: (inner) => inner,
  codespan: (code) => code,
  code: (code) => code,
  link: (_label, href, words) => (words === href || words === href.replace(/^mailto:/, "") ? words : `${words} (${href})`),
  image: (alt, href) => (alt ? `${alt} (${href})` : href),
  heading: (inner) => inner,
  blockquote: (inner) => inner.split("\n").map((l) => `> ${l}`).join("\n"),
  hr: () => "──────",
  bullet: (ordered, n, checked) => (checked === undefined ? (ordered ? `${n}.` : "-") : checked ? "☑" : "☐"),
  table: (rows, align) => alignedRows(rows, align).join("\n"),
  html: (raw) => raw,
};

/** Markdown as the words a person reads, for platforms that show text as typed */
export function markdownToPlain(md: string): string {
  return renderMarkdown(md, plain);
}

/** "https://example.com/a" → "example[.]com/a": readable, but no longer a link to QQ's filter */
export function defangUrls(text: string): string {
  return text.replace(/\b(?:https?:\/\/)?((?:[a-z0-9-]+\.)+[a-z]{2,})(?![\w-])/gi, (_m, host: string) => host.replace(/\./g, "[.]"));
}
