// The workspace: a folder of Markdown files the owner edits to shape the
// agent. AGENT.md, SOUL.md, USER.md and MEMORY.md go into every system
// prompt; HEARTBEAT.md is read only by the heartbeat. `ensureWorkspace`
// writes short starting points for missing files and never overwrites one.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { errorMessage } from "../core/errors.ts";

/** Files read into the system prompt, in prompt order. */
export const PROMPT_FILES = ["AGENT.md", "SOUL.md", "USER.md", "MEMORY.md"] as const;
/** Every file of a workspace. */
export const WORKSPACE_FILES = [...PROMPT_FILES, "HEARTBEAT.md"] as const;
export type WorkspaceFile = (typeof WORKSPACE_FILES)[number];

// The templates are paid for on every turn, so they stay short. Guidance for
// the owner sits in HTML comments, which never reach the model.
export const WORKSPACE_TEMPLATES: Readonly<Record<WorkspaceFile, string>> = {
  "AGENT.md": `# Agent

You are a personal assistant that your owner reaches through chat apps.
- Reply in the language you are addressed in, briefly: people read you on a phone.
- Reach for a tool when it beats memory: search or fetch the web for anything current, use cron for reminders.
- When something fails or you are unsure, say so plainly instead of guessing.
<!-- Your instructions to the agent: what it is for, what it may and may not do. -->
`,
  "SOUL.md": `# Soul

Warm, direct and honest. No filler, no flattery; a little humour is welcome.
<!-- The agent's personality and tone. -->
`,
  "USER.md": `# User

<!--
Facts about you the agent should always know, one per line. For example:
- Name: Sam. Lives in Lisbon (Europe/Lisbon time).
- Prefers metric units and short answers.
-->
`,
  "MEMORY.md": `# Memory

<!--
Long-lived notes: decisions, ongoing projects, people and their roles.
Chat history is summarized over time; what must never be forgotten belongs here.
-->
`,
  "HEARTBEAT.md": `# Heartbeat

<!--
Every heartbeat interval the agent reads this file. While it holds only
headings and comments nothing is sent to the model, so it costs nothing.
Add tasks as list items under "Tasks", one per line, for example:
- Check https://status.example.com and tell me when something is down
- On weekdays after 17:00, remind me to log my hours
When there is nothing to report the agent answers HEARTBEAT_OK and stays quiet.
-->

## Tasks
`,
};

/** Creates the folder and every missing file; returns the names of the files it wrote. */
export function ensureWorkspace(dir: string): string[] {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw cannot(`create the workspace folder ${dir}`, err);
  }
  const written: string[] = [];
  for (const name of WORKSPACE_FILES) {
    try {
      // "wx" fails when the file exists, so an owner's file is never replaced (not even by a race)
      writeFileSync(join(dir, name), WORKSPACE_TEMPLATES[name], { flag: "wx", mode: 0o600 });
      written.push(name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw cannot(`write ${join(dir, name)}`, err);
    }
  }
  return written;
}

function cannot(what: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code ?? errorMessage(err);
  return new Error(
    `cannot ${what} (${code}); make the folder writable for this user or point agents.defaults.workspace elsewhere`,
    { cause: err },
  );
}
