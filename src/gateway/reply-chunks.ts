// A turn's answer as the outbox stores it: notes first (a voice message that
// could not be heard), the text in chunks the channel takes, then each file
// the tools made with its bytes inline (base64), so the outbox row is all a
// later send needs, after a restart too (see src/tools/send-file.ts).
import type { OutboundChunk } from "../core/channel.ts";
import type { ToolOutput } from "../tools/types.ts";
import { chunkText } from "./chunk.ts";

export function replyChunks(limit: number, notes: OutboundChunk[], result: { text: string; media: NonNullable<ToolOutput["media"]> }): OutboundChunk[] {
  const chunks: OutboundChunk[] = [...notes];
  for (const text of chunkText(result.text, limit)) chunks.push({ text, format: "markdown" });
  for (const m of result.media) {
    if (!m.data && !m.url) continue;
    chunks.push({
      text: m.caption ?? "",
      format: m.caption ? "markdown" : "plain",
      media: {
        kind: m.kind,
        mimeType: m.mimeType,
        ...(m.data ? { data: m.data.toString("base64") } : {}),
        ...(m.url ? { url: m.url } : {}),
        ...(m.filename ? { filename: m.filename } : {}),
      },
    });
  }
  if (chunks.length === 0) chunks.push({ text: "(no reply)", format: "plain" });
  return chunks;
}
