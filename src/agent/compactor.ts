// Keeps sessions inside the model's context. When the active history passes
// 20 messages or 75 % of the context window, the older turns are summarized
// through the router and only the last few messages stay. The kept tail
// always starts at a user message, so an assistant's tool calls are never
// separated from their results.
import { textOf, type ChatMessage } from "../core/chat.ts";
import type { ChatRouter } from "../providers/types.ts";
import type { SessionStore, StoredMessage } from "../store/types.ts";
import { estimateTokens } from "./system-prompt.ts";

export const COMPACT_AFTER_MESSAGES = 20;
export const CONTEXT_SHARE = 0.75;
export const KEEP_LAST = 6;
export const DEFAULT_CONTEXT_WINDOW = 128_000;
const TRANSCRIPT_CHARS = 60_000;

export function historyTokens(history: StoredMessage[]): number {
  return history.reduce((n, m) => n + estimateTokens(textOf(m.message.content)) + (m.message.toolCalls ? estimateTokens(JSON.stringify(m.message.toolCalls)) : 0), 0);
}

export function needsCompaction(history: StoredMessage[], opts: { contextWindow?: number; lastPromptTokens?: number }): boolean {
  if (history.length > COMPACT_AFTER_MESSAGES) return true;
  const window = opts.contextWindow ?? DEFAULT_CONTEXT_WINDOW;
  const used = Math.max(opts.lastPromptTokens ?? 0, historyTokens(history));
  return used > window * CONTEXT_SHARE;
}

/** Index of the first message kept: about `keep` from the end, moved back to a user message. */
export function tailStart(history: StoredMessage[], keep = KEEP_LAST): number {
  let i = Math.max(0, history.length - keep);
  while (i > 0 && history[i]!.message.role !== "user") i--;
  return i;
}

function transcript(messages: StoredMessage[]): string {
  const lines = messages.map(({ message: m }) => {
    if (m.role === "tool") return `tool ${m.name ?? ""} result: ${textOf(m.content).slice(0, 500)}`;
    const calls = m.toolCalls?.length ? ` [called ${m.toolCalls.map((c) => c.name).join(", ")}]` : "";
    return `${m.role}: ${textOf(m.content)}${calls}`;
  });
  const text = lines.join("\n");
  return text.length > TRANSCRIPT_CHARS ? text.slice(text.length - TRANSCRIPT_CHARS) : text;
}

export interface CompactOptions {
  router: ChatRouter;
  sessions: SessionStore;
  now: () => number;
  signal?: AbortSignal;
  /** on context_overflow: keep less */
  keep?: number;
}

/** Summarizes everything before the tail; returns false when there was nothing to compact. */
export async function compactSession(key: string, opts: CompactOptions): Promise<boolean> {
  const history = opts.sessions.history(key);
  const start = tailStart(history, opts.keep ?? KEEP_LAST);
  if (start === 0) return false;
  const previous = opts.sessions.getSession(key)?.summary ?? "";
  const messages: ChatMessage[] = [
    {
      role: "system",
      content:
        "Summarize the conversation below for your own future reference: facts about the user, decisions, open tasks, " +
        "names, numbers and anything promised. Plain prose or short bullets, at most 250 words. No preamble.",
    },
    {
      role: "user",
      content: `${previous ? `Earlier summary:\n${previous}\n\n` : ""}Conversation:\n${transcript(history.slice(0, start))}`,
    },
  ];
  const res = await opts.router.chat({ messages, maxTokens: 600, ...(opts.signal ? { signal: opts.signal } : {}) });
  const summary = res.content.trim() || previous;
  opts.sessions.compact(key, summary, history[start]!.id, opts.now());
  return true;
}
