// The agent's own memory: memory_write appends to MEMORY.md (long-term
// facts, part of every system prompt, so the next turn sees them) or to
// today's note memory/YYYY-MM-DD.md; memory_search finds lines in both.
// Each file has a size cap; a full file is refused with a message saying
// what to do instead.
import { appendFileSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { Clock } from "../core/clock.ts";
import type { MemoryConfig } from "../skills/schema.ts";
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

function sizeOf(path: string): number {
  try {
    return readFileSync(path, "utf8").length;
  } catch {
    return 0;
  }
}

const writeSchema = z.object({
  text: z.string().trim().min(1).max(2_000).describe("the note"),
  file: z.enum(["MEMORY.md", "daily"]).default("daily").describe("MEMORY.md: lasting facts; daily: today's note"),
});

export function createMemoryWriteTool(cfg: MemoryConfig, deps: MemoryToolDeps): Tool<typeof writeSchema> {
  const zone = deps.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC";
  return {
    name: "memory_write",
    description: "Save a note to MEMORY.md (in every prompt) or today's daily note",
    schema: writeSchema,
    async run(args) {
      const { day, time } = localDate(deps.clock.now(), zone);
      const text = args.text.replace(/\r\n?/g, "\n").replace(/\n+/g, "\n  ");
      if (args.file === "MEMORY.md") {
        const path = join(deps.workspaceDir, "MEMORY.md");
        const line = `- ${text}\n`;
        const have = sizeOf(path);
        if (have + line.length > cfg.max_chars) {
          throw new ToolError(
            `MEMORY.md is full (${have} of ${cfg.max_chars} characters, tools.memory.max_chars). ` +
              `Save this to the daily note instead, and tell the owner MEMORY.md needs tidying.`,
          );
        }
        appendFileSync(path, (have > 0 && !readFileSync(path, "utf8").endsWith("\n") ? "\n" : "") + line, { mode: 0o600 });
        return `saved to MEMORY.md (${have + line.length} of ${cfg.max_chars} characters used)`;
      }
      const dir = join(deps.workspaceDir, "memory");
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const path = join(dir, `${day}.md`);
      const have = sizeOf(path);
      const line = `${have === 0 ? `# ${day}\n\n` : ""}- ${time} ${text}\n`;
      if (have + line.length > cfg.daily_max_chars) {
        throw new ToolError(`today's note memory/${day}.md is full (${have} of ${cfg.daily_max_chars} characters, tools.memory.daily_max_chars); save only what matters most to MEMORY.md`);
      }
      appendFileSync(path, line, { mode: 0o600 });
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
          text = readFileSync(join(deps.workspaceDir, f), "utf8");
        } catch {
          continue;
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

/** The daily notes, newest first. */
function dailyNotes(workspaceDir: string): string[] {
  try {
    return readdirSync(join(workspaceDir, "memory"))
      .filter((f) => /^\d{4}-\d{2}-\d{2}\.md$/.test(f) && statSync(join(workspaceDir, "memory", f)).isFile())
      .sort()
      .reverse();
  } catch {
    return [];
  }
}
