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

export function markdownToPlain(md: string): string {
  const fences: string[] = [];
  let text = md.replace(/^[ \t]*(```|~~~)[^\n]*\n([\s\S]*?)^[ \t]*\1[ \t]*$/gm, (_m, _f: string, body: string) => {
    fences.push(body.replace(/\n$/, ""));
    return `\u0000${fences.length - 1}\u0000`;
  });
  text = text
    .replace(/!\[([^\]]*)\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g, (_m, alt: string, url: string) => (alt ? `${alt} (${url})` : url))
    .replace(/\[([^\]]+)\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g, (_m, label: string, url: string) => (label === url ? url : `${label} (${url})`))
    .replace(/^[ \t]{0,3}#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$/gm, "$1")
    .replace(/`([^`\n]+)`/g, "$1")
    .replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, "$2")
    .replace(/(^|[^\w*])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?![\w*])/g, "$1$2")
    .replace(/(^|[^\w_])_(?=[^\s_])([^_\n]*?[^\s_])_(?![\w_])/g, "$1$2")
    .replace(/~~(?=\S)([^~\n]*?\S)~~/g, "$1")
    .replace(/^[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$/gm, "──────");
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => fences[Number(i)] ?? "");
}

/** "https://example.com/a" → "example[.]com/a": readable, but no longer a link to QQ's filter */
export function defangUrls(text: string): string {
  return text.replace(/\b(?:https?:\/\/)?((?:[a-z0-9-]+\.)+[a-z]{2,})(?![\w-])/gi, (_m, host: string) => host.replace(/\./g, "[.]"));
}
