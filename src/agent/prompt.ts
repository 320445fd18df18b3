// The system prompt of a turn: the workspace files plus a few lines about
// this turn (time, chat, sender) and the session's summary. The file part is
// cached and rebuilt only when a file's mtime, size or inode changes. The
// files are looked at (one stat each) at most once a second, and on the first
// turn after any tool ran (a tool may have written them): an edit made by
// hand reaches the prompt within a second, one made by a tool on the next
// turn. It is paid for on every turn, so the fixed text is a handful of words
// and files holding only headings and comments are left out.
import { lstatSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../core/clock.ts";
import { toolRunCount } from "../tools/activity.ts";
import type { TurnOrigin } from "../tools/types.ts";
import { PROMPT_FILES } from "./workspace.ts";
import { systemTimeZone } from "../core/time-zone.ts";

/** A workspace file longer than this is cut in the prompt. */
export const MAX_PROMPT_FILE_CHARS = 8_000;

/** Rough token count for budgeting: about four characters a token. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * The part of a workspace file the model sees: HTML comments removed, blank
 * runs collapsed, trimmed. "" when nothing but headings would remain.
 */
export function promptText(markdown: string): string {
  const text = markdown
    .replace(/\r\n?/g, "\n")
    .replace(/<!--[\s\S]*?(?:-->|$)/g, "")
    .replace(/[ \t]+$/gm, "")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  const content = text.split("\n").some((line) => line.trim() !== "" && !/^#{1,6}(\s|$)/.test(line.trim()));
  return content ? text : "";
}

// Building an Intl.DateTimeFormat costs far more than using one (it was ~7 % of
// a turn's CPU): one per zone, kept for the life of the process.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      weekday: "long",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** how long the workspace files are trusted without a look at the disk */
export const FILE_CHECK_INTERVAL_MS = 1000;

// the text changes once a second: the last one per zone is kept (a burst of turns shares it)
const lastFormatted = new Map<string, { second: number; text: string }>();

/** "2026-11-23T11:00:00+01:00 (Monday, Europe/Berlin)" */
export function formatNow(ms: number, timeZone: string): string {
  const second = Math.floor(ms / 1000);
  const last = lastFormatted.get(timeZone);
  if (last?.second === second) return last.text;
  const text = formatSecond(ms, timeZone);
  lastFormatted.set(timeZone, { second, text });
  return text;
}

function formatSecond(ms: number, timeZone: string): string {
  const parts = formatterFor(timeZone).formatToParts(new Date(ms));
  const get = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? "00";
  const local = `${get("year")}-${get("month")}-${get("day")}T${get("hour")}:${get("minute")}:${get("second")}`;
  const offsetMin = Math.round((Date.parse(`${local}Z`) - Math.floor(ms / 1000) * 1000) / 60_000);
  const sign = offsetMin < 0 ? "-" : "+";
  const abs = Math.abs(offsetMin);
  const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
  return `${local}${offset} (${get("weekday")}, ${timeZone})`;
}

export interface PromptInput {
  origin: TurnOrigin;
  /** the session's summary of compacted turns */
  summary?: string;
  toolNames?: readonly string[];
}

export interface PromptBuilderOptions {
  /** IANA zone the time is shown in; default: the server's zone */
  timeZone?: string;
  maxFileChars?: number;
  /** text placed after the workspace files (the skills list); "" for none. Asked as often as the files are looked at. */
  extra?: () => string;
  /**
   * Skip workspace files that are symlinks. Set when the agent can write the
   * workspace (exec, file tools): a planted AGENT.md -> ../config.json would
   * otherwise put the config's keys into the prompt.
   */
  noSymlinks?: boolean;
}

export class PromptBuilder {
  readonly workspaceDir: string;
  private readonly clock: Clock;
  /** undefined: the server's, asked at the first turn (systemTimeZone) */
  private readonly timeZone: string | undefined;
  private readonly maxFileChars: number;
  private readonly extra: (() => string) | undefined;
  private readonly noSymlinks: boolean;
  private signature: string | undefined;
  private filePart = "";
  /** when the files were last looked at, and how many tool runs there had been then */
  private checkedAt = -Infinity;
  private checkedToolRuns = -1;
  private extraPart = "";
  /** how many times the workspace files were read (the cache is working when this stays put) */
  fileReads = 0;

  constructor(workspaceDir: string, clock: Clock, opts: PromptBuilderOptions = {}) {
    this.workspaceDir = workspaceDir;
    this.clock = clock;
    this.timeZone = opts.timeZone;
    this.maxFileChars = opts.maxFileChars ?? MAX_PROMPT_FILE_CHARS;
    this.extra = opts.extra;
    this.noSymlinks = opts.noSymlinks ?? false;
  }

  build(input: PromptInput): string {
    const o = input.origin;
    const lines = [`Now: ${formatNow(this.clock.now(), this.timeZone ?? systemTimeZone())}`];
    const chat = o.chatId && o.chatId !== o.channel ? `${oneLine(o.channel)} chat ${oneLine(o.chatId)}` : oneLine(o.channel);
    lines.push(`Channel: ${chat}${o.senderId ? `, sender ${oneLine(o.senderId)}` : ""}`);
    if (input.toolNames?.length) lines.push(`Tools: ${input.toolNames.join(", ")}`);
    const sections = [...this.disk(), lines.join("\n")];
    const summary = input.summary?.trim();
    if (summary) sections.push(`Summary of the earlier conversation:\n${summary}`);
    return sections.filter((s) => s !== "").join("\n\n");
  }

  /**
   * The parts that come from disk: the workspace files and the extra text
   * (the skills list, which scans its folders), looked at once a second and
   * after any tool ran.
   */
  private disk(): [string, string] {
    const now = this.clock.now();
    const runs = toolRunCount();
    const fresh = this.signature !== undefined && runs === this.checkedToolRuns && now >= this.checkedAt && now - this.checkedAt < FILE_CHECK_INTERVAL_MS;
    if (!fresh) {
      this.checkedAt = now;
      this.checkedToolRuns = runs;
      this.files();
      this.extraPart = this.extra?.() ?? "";
    }
    return [this.filePart, this.extraPart];
  }

  /** The workspace part, re-read only when a file changed on disk. */
  private files(): string {
    const signature = PROMPT_FILES.map((name) => {
      const st = statSync(join(this.workspaceDir, name), { throwIfNoEntry: false });
      return st ? `${st.ino}:${st.mtimeMs}:${st.size}` : "-";
    }).join("|");
    if (signature === this.signature) return this.filePart;
    this.fileReads++;
    const parts: string[] = [];
    for (const name of PROMPT_FILES) {
      let text: string;
      try {
        if (this.noSymlinks && lstatSync(join(this.workspaceDir, name)).isSymbolicLink()) continue;
        text = promptText(readFileSync(join(this.workspaceDir, name), "utf8"));
      } catch {
        continue; // missing or unreadable: the prompt goes without it
      }
      if (text.length > this.maxFileChars) {
        text = `${text.slice(0, this.maxFileChars)}\n[${name} continues; the rest was cut to keep the prompt small]`;
      }
      if (text) parts.push(text);
    }
    this.signature = signature;
    this.filePart = parts.join("\n\n");
    return this.filePart;
  }
}

function oneLine(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]+/g, " ").slice(0, 200);
}
