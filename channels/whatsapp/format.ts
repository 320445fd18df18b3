// Markdown as models write it, rendered in WhatsApp's own markup through the
// shared parser (src/core/markdown.ts):
//   **bold** → *bold*    *italic* → _italic_    ~~strike~~ → ~strike~
//   # Heading → *Heading*    [text](url) → text (url)    "* item" → "- item"
// Code (```fences``` and `inline`) stays as WhatsApp shows it monospaced, and
// text inside code is never touched; tables become monospaced blocks.
import { alignedRows, renderMarkdown, type MarkdownStyle } from "../../src/core/markdown.ts";

const whatsapp: MarkdownStyle = {
  text: (t) => t,
  strong: (inner) => `*${inner.replace(/\*/g, "")}*`,
  em: (inner) => `_${inner}_`,
  del: (inner) => `~${inner}~`,
  codespan: (code) => `\`${code}\``,
  code: (code) => `\`\`\`\n${code}\n\`\`\``, // WhatsApp shows an info string ("```ts") as text
  link: (label, href, plain) => (plain === href || plain === href.replace(/^mailto:/, "") ? plain : `${label} (${href})`),
  image: (alt, href) => (alt ? `${alt} (${href})` : href),
  heading: (inner) => `*${inner.replace(/\*/g, "")}*`,
  blockquote: (inner) => inner.split("\n").map((l) => `> ${l}`).join("\n"),
  hr: () => "──────",
  bullet: (ordered, n, checked) => (checked === undefined ? (ordered ? `${n}.` : "-") : checked ? "☑" : "☐"),
  table: (rows, align) => `\`\`\`\n${alignedRows(rows, align).join("\n")}\n\`\`\``,
  html: (raw) => raw,
};

export function markdownToWhatsApp(markdown: string): string {
  return renderMarkdown(markdown, whatsapp);
}
