// Whisper-style transcription: POST {apiBase}/audio/transcriptions as
// multipart (file, model, response_format=json). OpenAI, Groq, LiteLLM and
// local whisper servers speak it; some answer JSON, some plain text.
import { z } from "zod";
import { ProviderError, type CallTarget, type ModelEntry } from "../providers/types.ts";
import { AUDIO_FORMATS, type AudioFormat } from "./formats.ts";
import { multipartBody, parseJsonBody, postToProvider, type FetchFor } from "./provider-http.ts";

/** Vendors whose OpenAI-compatible API has the audio endpoints. */
const AUDIO_VENDORS = new Set(["openai", "groq"]);

/**
 * True when an entry is transcribed through /audio/transcriptions: its model
 * id names whisper, or it is an OpenAI/Groq transcription model
 * (e.g. gpt-4o-mini-transcribe). Everything else is asked through chat.
 */
export function isWhisperStyle(entry: ModelEntry): boolean {
  const id = entry.modelId.toLowerCase();
  if (id.includes("whisper")) return true;
  return AUDIO_VENDORS.has(entry.vendor) && /transcribe|speech-to-text|stt/.test(id);
}

const transcriptionJson = z.object({ text: z.string() });

export interface AudioInput {
  data: Buffer;
  format: AudioFormat;
  filename: string;
  language?: string;
}

export async function whisperTranscribe(
  target: CallTarget,
  audio: AudioInput,
  signal: AbortSignal,
  fetchFor?: FetchFor,
): Promise<string> {
  const multipart = multipartBody([
    { name: "file", filename: audio.filename, contentType: AUDIO_FORMATS[audio.format].mimeType, data: audio.data },
    { name: "model", value: target.entry.modelId },
    { name: "response_format", value: "json" },
    ...(audio.language ? [{ name: "language", value: audio.language }] : []),
  ]);
  const result = await postToProvider(target, "audio/transcriptions", multipart, signal, fetchFor);
  if (!/json/i.test(result.contentType)) {
    const text = result.body.toString("utf8");
    // A JSON body with a text/plain label still counts.
    if (!text.trimStart().startsWith("{")) return text.trim();
  }
  const parsed = transcriptionJson.safeParse(parseJsonBody(result, target));
  if (!parsed.success) {
    throw new ProviderError("server_error", `${target.entry.modelName} answered without a "text" field`);
  }
  return parsed.data.text.trim();
}
