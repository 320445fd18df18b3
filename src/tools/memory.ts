// The agent's own memory: memory_write appends to MEMORY.md (long-term
// facts, part of every system prompt, so the next turn sees them) or to
// today's note memory/YYYY-MM-DD.md; memory_search finds lines in both.
// Each file has a size cap; a full file is refused with a message saying
// what to do instead.
import { closeSync, constants, mkdirSync, openSync, readdirSync, writeSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { Clock } from "../core/clock.ts";
import { systemTimeZone } from "../core/time-zone.ts";
import { resolveInside } from "../sandbox/paths.ts";
import type { MemoryConfig } from "../skills/schema.ts";
import { readCapped } from "./skill.ts";
import { ToolError, type Tool } from "./types.ts";

const MAX_HITS = 30;

export interface MemoryToolDeps {
  workspaceDir: string;
  clock: Clock;
  /** zone of the daily note's date; default: the server's */
  timeZone?: string;
}

/** "2026-11-23" and "14:05" in a zone. */
export function localDate(ms: number, timeZone: string): { day: string; time: string } {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(new Date(ms));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "00";
  return { day: `${get("year")}-${get("month")}-${get("day")}`, time: `${get("hour")}:${get("minute")}` };
}

/** What the file holds now ("" when it does not exist yet); never read through a symlink. */
function current(path: string, shown: string): string {
  try {
    return readCapped(path, shown, 4 * 1024 * 1024);
  } catch (err) {
    if (err instanceof ToolError && /does not exist/.test(err.message)) return "";
    throw err;
  }
}

/**
 * Appends without following a symlink: with exec or the file tools on, the
 * model could plant MEMORY.md -> ~/.bashrc, and the append would land there.
 */
function append(path: string, text: string, shown: string): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ToolError(code === "ELOOP" ? `${shown} is a symbolic link; the agent does not write through links` : `cannot write ${shown} (${code})`);
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

const writeSchema = z.object({
  text: z.string().trim().min(1).max(2_000).describe("the note"),
  file: z.enum(["MEMORY.md", "daily"]).default("daily").describe("MEMORY.md: lasting facts; daily: today's note"),
});

export function createMemoryWriteTool(cfg: MemoryConfig, deps: MemoryToolDeps): Tool<typeof writeSchema> {
  return {
    name: "memory_write",
    description: "Save a note to MEMORY.md (in every prompt) or today's daily note",
    schema: writeSchema,
    async run(args) {
      const { day, time } = localDate(deps.clock.now(), deps.timeZone ?? systemTimeZone());
      const text = args.text.replace(/\r\n?/g, "\n").replace(/\n+/g, "\n  ");
      if (args.file === "MEMORY.md") {
        const path = join(deps.workspaceDir, "MEMORY.md");
        const line = `- ${text}\n`;
        const before = current(path, "MEMORY.md");
        const have = before.length;
        if (have + line.length > cfg.max_chars) {
          throw new ToolError(
            `MEMORY.md is full (${have} of ${cfg.max_chars} characters, tools.memory.max_chars). ` +
              `Save this to the daily note instead, and tell the owner MEMORY.md needs tidying.`,
          );
        }
        append(path, (have > 0 && !before.endsWith("\n") ? "\n" : "") + line, "MEMORY.md");
        return `saved to MEMORY.md (${have + line.length} of ${cfg.max_chars} characters used)`;
      }
      // refuses a "memory" folder that is a symlink out of the workspace
      const dir = resolveInside(deps.workspaceDir, "memory");
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const path = join(dir, `${day}.md`);
      const have = current(path, `memory/${day}.md`).length;
      const line = `${have === 0 ? `# ${day}\n\n` : ""}- ${time} ${text}\n`;
      if (have + line.length > cfg.daily_max_chars) {
        throw new ToolError(`today's note memory/${day}.md is full (${have} of ${cfg.daily_max_chars} characters, tools.memory.daily_max_chars); save only what matters most to MEMORY.md`);
      }
      append(path, line, `memory/${day}.md`);
      return `saved to memory/${day}.md`;
    },
  };
}

const searchSchema = z.object({ query: z.string().trim().min(1).describe("words to find") });

export function createMemorySearchTool(deps: Pick<MemoryToolDeps, "workspaceDir">): Tool<typeof searchSchema> {
  return {
    name: "memory_search",
    description: "Search MEMORY.md and the daily notes",
    schema: searchSchema,
    async run(args) {
      const words = args.query.toLowerCase().split(/\s+/).filter(Boolean);
      const files = ["MEMORY.md", ...dailyNotes(deps.workspaceDir).map((f) => `memory/${f}`)];
      const hits: string[] = [];
      let more = 0;
      for (const f of files) {
        let text: string;
        try {
          text = readCapped(join(deps.workspaceDir, f), f, 4 * 1024 * 1024);
        } catch {
          continue; // missing, or a symlink (never followed)
        }
        text.split("\n").forEach((line, i) => {
          const l = line.toLowerCase();
          if (!line.trim() || !words.every((w) => l.includes(w))) return;
          if (hits.length < MAX_HITS) hits.push(`${f}:${i + 1}: ${line.trim().slice(0, 300)}`);
          else more++;
        });
      }
      if (hits.length === 0) return `nothing in MEMORY.md or the daily notes matches "${args.query}"`;
      return hits.join("\n") + (more ? `\n[${more} more matching lines not shown; search with more words]` : "");
    },
  };
}

/** The daily notes, newest first (regular files only; a symlinked folder counts as none). */
function dailyNotes(workspaceDir: string): string[] {
  try {
    return readdirSync(resolveInside(workspaceDir, "memory"), { withFileTypes: true })
      .filter((d) => d.isFile() && /^\d{4}-\d{2}-\d{2}\.md$/.test(d.name))
      .map((d) => d.name)
      .sort()
      .reverse();
  } catch {
    return [];
  }
}
