// Shared by the live reply tests: the final reply as the pipeline stores it
// (bound to the live messages by LiveReplies.finish) delivered the way the
// outbox delivers it, the late-send takeover included.
import type { ChannelAdapter, OutboundChunk } from "../../src/core/channel.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { chunkText } from "../../src/gateway/chunk.ts";
import type { LiveReplies } from "../../src/gateway/live-replies.ts";
import { deliverChunk } from "../../src/gateway/live-reply-delivery.ts";

export async function deliverFinal(replies: LiveReplies, adapter: ChannelAdapter, chatId: string, turnId: string, text: string): Promise<OutboundChunk[]> {
  const chunks: OutboundChunk[] = chunkText(text, adapter.capabilities.maxTextLength).map((t) => ({ text: t, format: "markdown" }));
  const bound = replies.finish(turnId, chunks);
  replies.forget(turnId);
  const rebind = await bound.ready;
  const final = bound.chunks.map((c, seq) => (rebind?.seq === seq ? { ...c, edits: rebind.edits } : c));
  for (const c of final) await deliverChunk(adapter, chatId, c, silentLogger());
  return final;
}

/** an in-memory kv table */
export function memoryKv() {
  const map = new Map<string, unknown>();
  return {
    map,
    get: <T>(k: string) => map.get(k) as T | undefined,
    set: (k: string, v: unknown) => void map.set(k, v),
    delete: (k: string) => map.delete(k),
  };
}
