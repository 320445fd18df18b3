// The workspace: a folder of Markdown files the owner edits to shape the
// agent. `switchboard onboard` (and the first run) writes short templates;
// existing files are never overwritten.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HEARTBEAT_TEMPLATE } from "../scheduler/heartbeat-text.ts";

/** Files read into the system prompt, in this order. HEARTBEAT.md is read by the heartbeat only. */
export const PROMPT_FILES = ["AGENT.md", "SOUL.md", "USER.md", "MEMORY.md"] as const;
export const WORKSPACE_FILES = [...PROMPT_FILES, "HEARTBEAT.md"] as const;

export const TEMPLATES: Record<(typeof WORKSPACE_FILES)[number], string> = {
  "AGENT.md": `# Agent

You are the owner's assistant, reached through chat apps. Answer in the language you are written to.
Keep replies short enough to read on a phone; use lists and code blocks when they help.
Use tools when they give a better answer than memory: search and fetch the web for current facts,
schedule reminders with cron, and say plainly when you could not do something.
`,
  "SOUL.md": `# Soul

Friendly, direct and honest. No filler, no flattery. Admit uncertainty.
`,
  "USER.md": `# User

<!-- Facts about you that the agent should know: name, time zone, language, preferences. -->
`,
  "MEMORY.md": `# Memory

<!-- Notes worth keeping across sessions. Edit freely; the agent reads this on every turn. -->
`,
  "HEARTBEAT.md": HEARTBEAT_TEMPLATE,
};

/** Creates the folder and any missing file; returns the files it wrote. */
export function ensureWorkspace(dir: string): string[] {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const written: string[] = [];
  for (const name of WORKSPACE_FILES) {
    const path = join(dir, name);
    if (existsSync(path)) continue;
    writeFileSync(path, TEMPLATES[name], { mode: 0o600, flag: "wx" });
    written.push(name);
  }
  return written;
}
