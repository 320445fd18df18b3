// Shared by the live reply tests: the final reply as the pipeline stores it
// (bound to the live messages by LiveReplies.finish) delivered the way the
// outbox delivers it, the late-send takeover included.
import type { ChannelAdapter, OutboundChunk } from "../../src/core/channel.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { chunkText } from "../../src/gateway/chunk.ts";
import type { LiveReplies } from "../../src/gateway/live-replies.ts";
import type { AsyncKvStore } from "../../src/store/backend.ts";
import { deliverChunk } from "../../src/gateway/live-reply-delivery.ts";

/** `kv`: the store the reply is saved through (the pipeline's transaction); it loses the turn's live-message record */
export async function deliverFinal(replies: LiveReplies, adapter: ChannelAdapter, chatId: string, turnId: string, text: string, kv: AsyncKvStore = memoryKv()): Promise<OutboundChunk[]> {
  const chunks: OutboundChunk[] = chunkText(text, adapter.capabilities.maxTextLength).map((t) => ({ text: t, format: "markdown" }));
  const bound = await replies.finish(turnId, chunks, kv);
  await replies.forget(turnId, kv);
  const rebind = await bound.ready;
  const final = bound.chunks.map((c, seq) => (rebind?.seq === seq ? { ...c, edits: rebind.edits } : c));
  for (const c of final) await deliverChunk(adapter, chatId, c, silentLogger());
  return final;
}

/** an in-memory kv table (AsyncKvStore), with `peek` to read it at once in assertions */
export function memoryKv() {
  const map = new Map<string, unknown>();
  return {
    map,
    peek: <T>(k: string) => map.get(k) as T | undefined,
    get: async <T>(k: string) => map.get(k) as T | undefined,
    set: async (k: string, v: unknown) => void map.set(k, v),
    delete: async (k: string) => map.delete(k),
  };
}
