// What a turn hands the model: the words of every message in the batch (voice
// heard as text, who said it in a group, what it quotes), its pictures, and
// notes for the person (a voice message that could not be heard).
import type { ContentPart } from "../core/chat.ts";
import type { OutboundChunk } from "../core/channel.ts";
import type { InboundRecord } from "../store/types.ts";
import { transcribeStored, type VoiceService } from "./inbound-media.ts";
import type { StoredInbound } from "./pipeline-types.ts";
import { turnText } from "./turn-text.ts";

export interface TurnInputParts {
  /** one entry per message that says something, in arrival order */
  texts: string[];
  parts: ContentPart[];
  /** said to the person before the answer (transcription notes) */
  notes: OutboundChunk[];
}

export async function gatherTurnInput(batch: InboundRecord[], voice: VoiceService | undefined, signal: AbortSignal): Promise<TurnInputParts> {
  const texts: string[] = [];
  const parts: ContentPart[] = [];
  const notes: OutboundChunk[] = [];
  for (const rec of batch) {
    const p = rec.payload as StoredInbound;
    const said: string[] = p.text.trim() ? [p.text.trim()] : [];
    for (const m of p.media ?? []) {
      if (m.kind === "image") parts.push({ type: "image", mimeType: m.mimeType, data: m.data });
      else if (m.kind === "audio" || m.kind === "voice") {
        const heard = await transcribeStored(voice, m, signal);
        if (heard.text) said.push(heard.text);
        if (heard.note) notes.push({ text: heard.note, format: "plain" });
      }
    }
    // who said it (groups), and what it replies to or forwards
    const text = turnText(p, rec.senderId, said.join("\n\n"));
    if (text) texts.push(text);
  }
  return { texts, parts, notes };
}
