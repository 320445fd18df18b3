// The text side of the heartbeat: which lines of HEARTBEAT.md are tasks, the
// prompt a beat sends, and whether a reply means "nothing to report".

/** Written to a new workspace; while the file holds only this, no model call is made. */
export const HEARTBEAT_TEMPLATE = `# HEARTBEAT.md

<!--
Switchboard reads this file every heartbeat (heartbeat.interval minutes).
While it holds only headings, comments and blank lines, no model is called.
Add one task per line under "Tasks", for example:
- Check https://status.example.com and tell me if anything is down
The agent answers HEARTBEAT_OK when there is nothing to report.
-->

## Tasks
`;

/** The token a model replies with when a beat found nothing worth a message. */
export const HEARTBEAT_OK = "HEARTBEAT_OK";

/** Text around HEARTBEAT_OK that still counts as "nothing to report". */
export const HEARTBEAT_OK_MAX_REMAINDER = 30;

const TEMPLATE_LINES = new Set(
  HEARTBEAT_TEMPLATE.split("\n")
    .map((l) => normalizeLine(l))
    .filter((l) => l !== ""),
);

function normalizeLine(line: string): string {
  return line.trim().replace(/\s+/g, " ").toLowerCase();
}

/** A list marker or checkbox with nothing after it ("-", "* [ ]", "1.") is not a task. */
function isEmptyListItem(line: string): boolean {
  return /^(?:[-*+]|\d+[.)])?\s*(?:\[[ xX]?\])?\s*$/.test(line);
}

/**
 * The task lines of a HEARTBEAT.md: everything except headings, HTML comments,
 * blank lines, empty list items, horizontal rules and lines of the template.
 * An empty result means the beat makes no model call.
 */
export function extractHeartbeatTasks(markdown: string): string[] {
  const withoutComments = markdown.replace(/<!--[\s\S]*?(?:-->|$)/g, "\n");
  const tasks: string[] = [];
  let fence = false;
  for (const raw of withoutComments.split(/\r?\n/)) {
    const line = raw.trim();
    if (/^(```|~~~)/.test(line)) {
      fence = !fence;
      continue;
    }
    if (line === "") continue;
    if (!fence) {
      if (/^#{1,6}(\s|$)/.test(line)) continue;
      if (/^([-*_])(\s*\1){2,}$/.test(line)) continue;
      if (isEmptyListItem(line)) continue;
      if (TEMPLATE_LINES.has(normalizeLine(line))) continue;
    }
    tasks.push(line);
  }
  return tasks;
}

/** The message a beat hands to the agent (run without chat history). */
export function heartbeatPrompt(tasks: readonly string[], nowIso: string): string {
  return [
    `Heartbeat check (${nowIso}). Work through these tasks from HEARTBEAT.md:`,
    "",
    ...tasks,
    "",
    `If nothing needs the user's attention, reply with exactly ${HEARTBEAT_OK} and nothing else.`,
    "Otherwise reply with a short message for the user; it will be delivered to their most recent chat.",
  ].join("\n");
}

/**
 * True when a reply means "nothing to report": it contains HEARTBEAT_OK
 * (any case, markdown emphasis allowed) and at most 30 characters of other
 * text besides punctuation and whitespace, e.g. "HEARTBEAT_OK.", "**heartbeat_ok**",
 * "All quiet. HEARTBEAT_OK".
 */
export function isHeartbeatOk(reply: string): boolean {
  const text = reply.replace(/\\_/g, "_");
  const match = /heartbeat_ok/i.exec(text);
  if (!match) return false;
  const rest = (text.slice(0, match.index) + " " + text.slice(match.index + match[0].length))
    .replace(/[\p{P}\p{S}\s]+/gu, " ")
    .trim();
  return rest.length <= HEARTBEAT_OK_MAX_REMAINDER;
}
