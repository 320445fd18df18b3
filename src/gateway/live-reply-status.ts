// The short line a streamed reply shows while the model's tools run
// ("searching the web…"); the answer's text replaces it.

const PHRASES: Record<string, string> = {
  web_search: "searching the web",
  web_fetch: "reading a web page",
  image_generate: "drawing an image",
  cron: "scheduling",
  message: "sending a message",
  exec: "running a command",
  file_read: "reading files",
  file_list: "reading files",
  file_write: "writing files",
  file_edit: "writing files",
  memory_search: "searching my notes",
  memory_write: "taking notes",
  skill_read: "reading a skill",
};

/** "searching the web…", "searching the web, reading a web page…"; unknown tools (MCP) by name */
export function toolStatusLine(names: readonly string[]): string {
  const phrases = [...new Set(names.map((n) => PHRASES[n] ?? `using ${n.replace(/[_*`~|]/g, " ").trim() || "a tool"}`))];
  return `_${phrases.join(", ")}…_`;
}
