// Pictures and voice that arrive with a message: downloaded (within the size
// cap) when the message is stored, so a turn after a restart still has them,
// and voice turned into text when the turn runs.
import type { InboundMessage } from "../core/channel.ts";
import type { Logger } from "../core/logger.ts";
import { errorMessage } from "../core/errors.ts";

export const DEFAULT_MAX_MEDIA_BYTES = 20 * 1024 * 1024;

/** media as the inbox stores it (base64, so it survives in the payload's JSON) */
export interface StoredMedia {
  kind: string;
  mimeType: string;
  filename?: string;
  data: string;
}

export interface VoiceService {
  echo: boolean;
  transcribe(input: { data: Buffer; mimeType: string; filename?: string; signal?: AbortSignal }): Promise<string>;
  failureMessage(err: unknown): string;
}

export const NO_VOICE_MODEL_NOTE = "I can't listen to voice messages yet: no transcription model is configured (voice.model_name).";

/** The words of a stored voice message, or a note for the person when there are none. */
export async function transcribeStored(voice: VoiceService | undefined, m: StoredMedia, signal: AbortSignal): Promise<{ text?: string; note?: string }> {
  if (!voice) return { note: NO_VOICE_MODEL_NOTE };
  try {
    const text = await voice.transcribe({
      data: Buffer.from(m.data, "base64"),
      mimeType: m.mimeType,
      ...(m.filename ? { filename: m.filename } : {}),
      signal,
    });
    return voice.echo ? { text, note: `🎤 "${text}"` } : { text };
  } catch (err) {
    return { note: voice.failureMessage(err) };
  }
}

/** Downloads the message's pictures and audio; one that fails or is too big is skipped (logged), never the message. */
export async function collectMedia(msg: InboundMessage, maxBytes: number, logger: Logger): Promise<{ media?: StoredMedia[] }> {
  const media: StoredMedia[] = [];
  for (const m of msg.media ?? []) {
    if (m.kind !== "image" && m.kind !== "audio" && m.kind !== "voice") continue;
    if (m.size !== undefined && m.size > maxBytes) continue;
    try {
      const data = m.data ?? (m.fetch ? await m.fetch() : undefined);
      if (!data || data.length > maxBytes) continue;
      media.push({
        kind: m.kind,
        mimeType: m.mimeType ?? (m.kind === "image" ? "image/jpeg" : "audio/ogg"),
        ...(m.filename ? { filename: m.filename } : {}),
        data: data.toString("base64"),
      });
    } catch (err) {
      logger.warn({ channel: msg.channel, err: errorMessage(err) }, "could not download media");
    }
  }
  return media.length ? { media } : {};
}
