// How a chunk is written for Feishu.
//
// Markdown goes out as a rich-text message (msg_type "post") holding one
// "md" element: Feishu renders bold, italics, strikethrough, links, inline
// code, code blocks, lists, quotes and rules from it. It has no headings, so
// "# Title" lines become bold lines. Plain chunks go out as msg_type "text".
// Only the zh_cn locale is filled in: clients of every language show the
// only locale there is, and one copy keeps the body small (post bodies are
// limited to ~30 KB, text to ~150 KB; a 4000-character chunk of CJK text is
// about 12 KB once encoded twice as JSON).
//
// Feishu turns <at user_id="..."> in message text into real mentions, even
// <at user_id="all"> (everyone in the group); a reply quoting such markup
// must not ping anyone, so the tag is broken with a zero-width space.
import type { OutboundChunk } from "../../src/core/channel.ts";
import { alignedRows, renderMarkdown, type MarkdownStyle } from "../../src/core/markdown.ts";

export interface OutboundBody {
  msg_type: "text" | "post";
  /** the JSON string Feishu wants in `content` */
  content: string;
}

/** "<at" (any case) → "<\u200bat": shown the same, never a mention */
export function neutralizeMentions(text: string): string {
  return text.replace(/<(\/?)(at)\b/gi, "<$1\u200b$2");
}

/** characters Feishu's md would read as markup, for text that must stay literal */
function escapeMd(text: string): string {
  return text.replace(/([\\`*_~[\]|])/g, "\\$1");
}

// Feishu's post "md" element understands bold, italics, strikethrough,
// links, inline code, code blocks, lists, quotes and rules, but no headings,
// images (they need an uploaded image_key) or tables: headings become bold
// lines, images links, tables monospaced code blocks.
const feishuMd: MarkdownStyle = {
  text: (t) => t,
  literal: escapeMd,
  strong: (inner) => `**${inner}**`,
  em: (inner) => `*${inner}*`,
  del: (inner) => `~~${inner}~~`,
  codespan: (code) => (code.includes("`") ? `\`\` ${code} \`\`` : `\`${code}\``),
  code: (code, lang) => `\`\`\`${lang ?? ""}\n${code}\n\`\`\``,
  link: (label, href) => `[${label}](${href})`,
  image: (alt, href) => `[${escapeMd(alt || "image")}](${href})`,
  heading: (inner) => `**${inner}**`,
  blockquote: (inner) => inner.split("\n").map((l) => `> ${l}`).join("\n"),
  hr: () => "---",
  bullet: (ordered, n, checked) => (checked === undefined ? (ordered ? `${n}.` : "-") : checked ? "- ☑" : "- ☐"),
  table: (rows, align) => `\`\`\`\n${alignedRows(rows, align).join("\n")}\n\`\`\``,
  html: (raw) => raw,
};

/** the model's Markdown in the dialect Feishu's post md element renders */
export function markdownForFeishu(markdown: string): string {
  return renderMarkdown(markdown, feishuMd);
}

function withMediaLink(chunk: OutboundChunk): string {
  const url = chunk.media?.url;
  if (!url || chunk.text.includes(url)) return chunk.text;
  return chunk.text.trim() ? `${chunk.text}\n${url}` : url;
}

export function textBody(text: string): OutboundBody {
  return { msg_type: "text", content: JSON.stringify({ text: neutralizeMentions(text) }) };
}

export function bodyFor(chunk: OutboundChunk): OutboundBody {
  const text = withMediaLink(chunk);
  if (chunk.format !== "markdown") return textBody(text);
  const md = neutralizeMentions(markdownForFeishu(text));
  return { msg_type: "post", content: JSON.stringify({ zh_cn: { content: [[{ tag: "md", text: md }]] } }) };
}
