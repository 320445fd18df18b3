// The system prompt of a turn: the workspace files (cached, rebuilt only when
// one changes on disk) plus a few lines about this turn: time, channel, chat,
// sender, and the session's summary. It is paid for on every turn, so the
// fixed text stays small and comment-only files are left out.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../core/clock.ts";
import type { TurnOrigin } from "../tools/types.ts";
import { PROMPT_FILES } from "./workspace-files.ts";

/** A file longer than this is cut in the prompt (the owner is told in the prompt itself). */
export const MAX_FILE_CHARS = 8_000;

/** Rough token count: about four characters a token for English and code. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** The file's text without HTML comments and blank runs; "" when nothing but headings remains. */
export function meaningfulText(markdown: string): string {
  const text = markdown.replace(/<!--[\s\S]*?(?:-->|$)/g, "").replace(/\n{3,}/g, "\n\n").trim();
  const body = text.split("\n").filter((l) => l.trim() !== "" && !/^#{1,6}\s/.test(l.trim()));
  return body.length ? text : "";
}

export interface PromptInput {
  origin: TurnOrigin;
  summary?: string;
  toolNames?: string[];
}

export class PromptBuilder {
  private readonly dir: string;
  private readonly clock: Clock;
  private stamp = "";
  private cached = "";
  /** how many times the files were read (tests check the cache) */
  reads = 0;

  constructor(workspaceDir: string, clock: Clock) {
    this.dir = workspaceDir;
    this.clock = clock;
  }

  private files(): string {
    const parts: string[] = [];
    let stamp = "";
    for (const name of PROMPT_FILES) {
      try {
        const st = statSync(join(this.dir, name));
        stamp += `${name}:${st.mtimeMs}:${st.size};`;
      } catch {
        stamp += `${name}:-;`;
      }
    }
    if (stamp === this.stamp) return this.cached;
    this.reads++;
    for (const name of PROMPT_FILES) {
      let text: string;
      try {
        text = meaningfulText(readFileSync(join(this.dir, name), "utf8"));
      } catch {
        continue;
      }
      if (!text) continue;
      if (text.length > MAX_FILE_CHARS) text = `${text.slice(0, MAX_FILE_CHARS)}\n[${name} is longer; the rest was left out]`;
      parts.push(text);
    }
    this.stamp = stamp;
    this.cached = parts.join("\n\n");
    return this.cached;
  }

  build(input: PromptInput): string {
    const now = new Date(this.clock.now());
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const o = input.origin;
    const context = [
      `Now: ${now.toISOString()} (server time zone ${tz}).`,
      `Conversation: ${o.channel}${o.chatId ? ` chat ${o.chatId}` : ""}${o.senderId ? `, from ${o.senderId}` : ""}.`,
    ];
    if (input.toolNames?.length) context.push(`Tools: ${input.toolNames.join(", ")}.`);
    const sections = [this.files(), context.join("\n")];
    if (input.summary?.trim()) sections.push(`Summary of the earlier conversation:\n${input.summary.trim()}`);
    return sections.filter(Boolean).join("\n\n");
  }
}
