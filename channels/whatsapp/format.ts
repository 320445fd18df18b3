// Markdown as models write it, turned into WhatsApp's own markup:
//   **bold** / __bold__ → *bold*     *italic* / _italic_ → _italic_
//   ~~strike~~ → ~strike~            # Heading → *Heading*
//   [text](url) → text (url)         "* item" → "- item"
// Code (```fences``` and `inline`) is kept as WhatsApp shows it monospaced;
// text inside code is never touched. The result is never longer than the input.

const FENCE = /^(\s{0,3})(`{3,}|~{3,})/;
const BOLD = "\u0001";

export function markdownToWhatsApp(markdown: string): string {
  const out: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split("\n")) {
    const m = FENCE.exec(line);
    if (fence) {
      if (m && m[2]![0] === fence[0] && m[2]!.length >= fence.length && line.slice(m[0].length).trim() === "") {
        fence = undefined;
        out.push("```");
      } else out.push(line);
      continue;
    }
    if (m) {
      fence = m[2]!;
      out.push("```"); // WhatsApp shows the info string ("```ts") as text
      continue;
    }
    out.push(convertLine(line));
  }
  return out.join("\n");
}

function convertLine(line: string): string {
  const heading = /^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
  if (heading) {
    const inner = convertInline(heading[1]!).replace(/\*/g, "");
    return inner ? `*${inner}*` : line;
  }
  const bullet = /^(\s*)[*+]\s+(.*)$/.exec(line);
  if (bullet) return `${bullet[1]}- ${convertInline(bullet[2]!)}`;
  return convertInline(line);
}

/** inline markup outside `code` spans */
function convertInline(text: string): string {
  return text
    .split(/(`[^`\n]+`)/)
    .map((part, i) => (i % 2 === 1 ? part : convertSpan(part)))
    .join("");
}

function convertSpan(text: string): string {
  return (
    text
      .replace(/\[([^\]\n]+)\]\((\S+?)\)/g, (_, label: string, url: string) => (label === url ? url : `${label} (${url})`))
      .replace(/\*\*(?=\S)(.+?)(?<=\S)\*\*/g, `${BOLD}$1${BOLD}`)
      .replace(/(^|[^\w])__(?=\S)(.+?)(?<=\S)__(?!\w)/g, `$1${BOLD}$2${BOLD}`)
      .replace(/(^|[^\w*])\*([^\s*](?:[^*\n]*?[^\s*])?)\*(?![\w*])/g, "$1_$2_")
      .replace(/~~(?=\S)(.+?)(?<=\S)~~/g, "~$1~")
      .replaceAll(BOLD, "*")
  );
}
