// Keeps sessions inside the model's context. When the active history passes
// 20 messages or 75 % of the context window, the older turns are summarized
// through the router (together with the previous summary) and only the last
// few messages stay active. The kept tail always starts at a user message,
// so an assistant's tool calls are never separated from their results.
import { textOf, type ChatMessage } from "../core/chat.ts";
import type { Logger } from "../core/logger.ts";
import type { ChatRouter } from "../providers/types.ts";
import type { AsyncSessionStore } from "../store/backend.ts";
import type { StoredMessage } from "../store/types.ts";
import { estimateTokens } from "./prompt.ts";

export const COMPACT_AFTER_MESSAGES = 20;
export const COMPACT_AT_CONTEXT_SHARE = 0.75;
export const KEEP_LAST_MESSAGES = 6;
export const DEFAULT_CONTEXT_WINDOW = 128_000;
/** the transcript sent for summarizing is cut to this (oldest text goes first) */
const MAX_TRANSCRIPT_CHARS = 80_000;
const MAX_TOOL_RESULT_IN_TRANSCRIPT = 600;
const SUMMARY_MAX_TOKENS = 1_024;

export const SUMMARY_INSTRUCTION =
  "You keep the memory of a chat assistant. Write a summary of the conversation below that lets the assistant " +
  "carry on without it: who the user is, facts and preferences they shared, decisions, promises, open tasks, " +
  "names, numbers, links. Merge in the earlier summary when there is one, dropping what no longer matters. " +
  "Short bullet points, at most 300 words, no preamble.";

/** Estimated tokens of messages: text, tool-call arguments and a little per message. */
export function estimateMessageTokens(messages: readonly ChatMessage[]): number {
  let n = 0;
  for (const m of messages) {
    n += 4 + estimateTokens(textOf(m.content));
    for (const c of m.toolCalls ?? []) n += estimateTokens(c.name) + estimateTokens(c.arguments);
  }
  return n;
}

export interface CompactionCheck {
  messageCount: number;
  /** best estimate of the prompt size: provider-reported or heuristic */
  promptTokens: number;
  contextWindow?: number;
}

/** Why the history should be compacted, or undefined when it need not be. */
export function compactionReason(check: CompactionCheck): "messages" | "tokens" | undefined {
  if (check.messageCount > COMPACT_AFTER_MESSAGES) return "messages";
  const window = check.contextWindow && check.contextWindow > 0 ? check.contextWindow : DEFAULT_CONTEXT_WINDOW;
  if (check.promptTokens > window * COMPACT_AT_CONTEXT_SHARE) return "tokens";
  return undefined;
}

/**
 * Index of the first kept message: `keep` from the end, moved back to the
 * user message that opens that turn; when that would keep everything, moved
 * forward to the next user message instead. Returns 0 when nothing can be
 * compacted and history.length when everything can (keep = 0).
 */
export function keptTailStart(history: readonly StoredMessage[], keep: number = KEEP_LAST_MESSAGES): number {
  const start = Math.max(0, history.length - Math.max(0, keep));
  if (start >= history.length) return history.length;
  for (let i = start; i > 0; i--) if (history[i]!.message.role === "user") return i;
  for (let i = start + 1; i < history.length; i++) if (history[i]!.message.role === "user") return i;
  return 0;
}

/** The compacted messages as plain text for the summarizer, newest part kept when long. */
export function transcriptOf(messages: readonly ChatMessage[]): string {
  const lines: string[] = [];
  for (const m of messages) {
    const text = textOf(m.content).trim();
    const attachments = typeof m.content === "string" ? 0 : m.content.filter((p) => p.type !== "text").length;
    const extra = attachments ? ` [${attachments} attachment(s)]` : "";
    if (m.role === "tool") {
      const clipped = text.length > MAX_TOOL_RESULT_IN_TRANSCRIPT ? `${text.slice(0, MAX_TOOL_RESULT_IN_TRANSCRIPT)}…` : text;
      lines.push(`[${m.name ?? "tool"} result] ${clipped}`);
    } else if (m.role === "assistant" && m.toolCalls?.length) {
      const calls = m.toolCalls.map((c) => `${c.name}(${c.arguments.slice(0, 200)})`).join(", ");
      lines.push(`assistant: ${text ? `${text} ` : ""}[called ${calls}]`);
    } else if (m.role !== "system") {
      lines.push(`${m.role}: ${text}${extra}`);
    }
  }
  const all = lines.join("\n");
  return all.length > MAX_TRANSCRIPT_CHARS ? `[…]\n${all.slice(all.length - MAX_TRANSCRIPT_CHARS)}` : all;
}

export interface CompactionDeps {
  router: ChatRouter;
  sessions: Pick<AsyncSessionStore, "turnContext" | "compact">;
  now: () => number;
  logger?: Logger;
}

/** What a turn knew of its prompt's size when it decided to compact. */
export interface PromptSize {
  contextWindow?: number;
  /** prompt tokens the provider reported for the turn's last call */
  reportedPromptTokens?: number;
  /** tokens of the system prompt, which the history estimate does not include */
  systemTokens?: number;
}

export interface CompactOptions {
  /** messages kept active at most (moved to a turn boundary); default 6 */
  keep?: number;
  /** model reference for the summarizing call (the turn's override) */
  model?: string;
  signal?: AbortSignal;
  /**
   * Compact only when the stored history still calls for it. A compaction
   * that runs after its turn decided on the turn's copy of the history; a
   * compaction (or a /reset) that finished meanwhile has already shrunk it.
   * `messageCount` is the length of that copy.
   */
  recheck?: PromptSize & { messageCount: number };
}

/**
 * Summarizes everything before the kept tail and stores it with
 * SessionStore.compact. Returns false when there was nothing to compact, the
 * recheck found the history small enough, or the model returned an empty
 * summary (the history then stays as it was). Router errors propagate; once
 * `signal` is aborted nothing is written.
 */
export async function compactSession(deps: CompactionDeps, key: string, opts: CompactOptions = {}): Promise<boolean> {
  // summary and history in one read
  const stored = await deps.sessions.turnContext(key);
  const history = stored?.history ?? [];
  if (opts.recheck && !stillNeeded(history, opts.recheck)) return false;
  const start = keptTailStart(history, opts.keep ?? KEEP_LAST_MESSAGES);
  if (start === 0) return false;
  const previous = stored?.summary.trim() ?? "";
  const older = history.slice(0, start).map((m) => m.message);
  const request = `${previous ? `Earlier summary:\n${previous}\n\n` : ""}Conversation to summarize:\n${transcriptOf(older)}`;
  const res = await deps.router.chat(
    {
      messages: [
        { role: "system", content: SUMMARY_INSTRUCTION },
        { role: "user", content: request },
      ],
      maxTokens: SUMMARY_MAX_TOKENS,
      ...(opts.signal ? { signal: opts.signal } : {}),
    },
    { ...(opts.model ? { model: opts.model } : {}), ...(opts.signal ? { signal: opts.signal } : {}) },
  );
  // abandoned while the model wrote (a /reset, shutdown): the summary would describe a history that is gone
  opts.signal?.throwIfAborted();
  const summary = res.content.trim();
  if (!summary) {
    deps.logger?.warn({ session: key }, "compaction: the model returned an empty summary; history left as it was");
    return false;
  }
  // every message from keepFromId on stays active, so what later turns appended meanwhile is kept
  const keepFromId = start < history.length ? history[start]!.id : history[history.length - 1]!.id + 1;
  if (!(await deps.sessions.compact(key, summary, keepFromId, deps.now()))) {
    // a /reset (from the control page, another gateway of a fleet) or another compaction took this history meanwhile
    deps.logger?.info({ session: key }, "compaction: the history changed while the summary was written; summary dropped");
    return false;
  }
  deps.logger?.info({ session: key, compacted: start, kept: history.length - start }, "session compacted");
  return true;
}

/** The context_overflow path: summarize the whole active history, keep nothing. */
export function forceCompact(deps: CompactionDeps, key: string, opts: Omit<CompactOptions, "keep" | "recheck"> = {}): Promise<boolean> {
  return compactSession(deps, key, { ...opts, keep: 0 });
}

/** Why `history` (as a turn just saved it) should be compacted, or undefined. Reads nothing. */
export function compactionNeed(history: readonly ChatMessage[], size: PromptSize): ReturnType<typeof compactionReason> {
  const estimated = (size.systemTokens ?? 0) + estimateMessageTokens(history);
  return compactionReason({
    messageCount: history.length,
    promptTokens: Math.max(estimated, size.reportedPromptTokens ?? 0),
    ...(size.contextWindow !== undefined ? { contextWindow: size.contextWindow } : {}),
  });
}

function stillNeeded(history: readonly StoredMessage[], recheck: PromptSize & { messageCount: number }): boolean {
  const messages = history.map((m) => m.message);
  // a shorter history was compacted or reset since the turn: the tokens the provider reported for it are stale
  const { reportedPromptTokens, ...rest } = recheck;
  const size = history.length < recheck.messageCount ? rest : recheck;
  return compactionNeed(messages, size) !== undefined;
}
