// One model call of a turn, whole or streamed. Streamed calls forward the
// text the model produces as it arrives (onText) and nothing else: tool-call
// deltas are assembled by the provider client into the final result, so tool
// activity never reaches the text a user reads.
import type { ChatRequest, ToolCall, Usage } from "../core/chat.ts";
import { ProviderError, type Attempt, type ChatRouter, type RouteOptions } from "../providers/types.ts";

export interface ModelAnswer {
  content: string;
  toolCalls: ToolCall[];
  usage?: Usage;
  /** the entry that answered (for streamed calls, the one whose stream was used) */
  entryId?: string;
  attempts: Attempt[];
}

export async function callModel(
  router: ChatRouter,
  req: ChatRequest,
  route: RouteOptions,
  onText?: (text: string) => void,
): Promise<ModelAnswer> {
  if (!onText) {
    const res = await router.chat(req, route);
    return { content: res.content, toolCalls: res.toolCalls, ...(res.usage ? { usage: res.usage } : {}), entryId: res.entry.id, attempts: res.attempts };
  }
  let done: ModelAnswer | undefined;
  let routed: Parameters<NonNullable<RouteOptions["onRouted"]>>[0] | undefined;
  for await (const d of router.stream(req, { ...route, onRouted: (r) => (routed = r) })) {
    if (d.type === "text") {
      if (d.text) onText(d.text);
    } else if (d.type === "done") {
      const r = d.result;
      done = {
        content: r.content,
        toolCalls: r.toolCalls,
        ...(r.usage ? { usage: r.usage } : {}),
        ...(routed ? { entryId: routed.target.entry.id } : {}),
        attempts: routed?.attempts ?? [],
      };
    }
  }
  if (!done) throw new ProviderError("server_error", "the model's stream ended without its final message");
  return done;
}

/**
 * The text sink of a streamed turn: the texts of successive model calls
 * (before and after tool steps) are separated by a blank line, so two
 * sentences never run into each other.
 */
export function stepSeparatedSink(onDelta: (text: string) => void): { step(): void; write(text: string): void } {
  let wrote = false;
  let newStep = false;
  return {
    step() {
      newStep = wrote;
    },
    write(text: string) {
      if (!text) return;
      if (newStep) {
        onDelta("\n\n");
        newStep = false;
      }
      wrote = true;
      onDelta(text);
    },
  };
}
