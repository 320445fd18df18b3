// Transcription by a multimodal chat model (e.g. gemini/gemini-2.5-flash):
// one OpenAI-compatible chat completion whose user message carries the
// recording as an `input_audio` content part, asking for a verbatim transcript.
import { z } from "zod";
import { ProviderError, type CallTarget } from "../providers/types.ts";
import type { AudioInput } from "./whisper.ts";
import { parseJsonBody, postToProvider, type FetchFor } from "./provider-http.ts";

export const TRANSCRIBE_PROMPT =
  "Transcribe this audio recording verbatim, in the language that is spoken. " +
  "Reply with the transcript only: no quotes, no labels, no commentary, no translation. " +
  "If nothing is said, reply with an empty message.";

const chatCompletion = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() })), z.null()]),
        }),
      }),
    )
    .min(1),
});

/** The chat request body; exported for tests and for `status` probes. */
export function transcriptionChatBody(modelId: string, audio: AudioInput): Record<string, unknown> {
  return {
    model: modelId,
    temperature: 0,
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: TRANSCRIBE_PROMPT },
          { type: "input_audio", input_audio: { data: audio.data.toString("base64"), format: audio.format } },
        ],
      },
    ],
  };
}

export async function chatTranscribe(
  target: CallTarget,
  audio: AudioInput,
  signal: AbortSignal,
  fetchFor?: FetchFor,
): Promise<string> {
  if (target.entry.protocol === "anthropic") {
    throw new ProviderError("format", `${target.entry.modelName} speaks the Anthropic Messages API, which takes no audio input`);
  }
  const body = JSON.stringify({ ...(target.entry.extraBody ?? {}), ...transcriptionChatBody(target.entry.modelId, audio) });
  const result = await postToProvider(target, "chat/completions", { body, contentType: "application/json" }, signal, fetchFor);
  const parsed = chatCompletion.safeParse(parseJsonBody(result, target));
  if (!parsed.success) {
    throw new ProviderError("server_error", `${target.entry.modelName} answered with an unexpected chat completion shape`);
  }
  const content = parsed.data.choices[0]?.message.content;
  const text = typeof content === "string" ? content : (content ?? []).map((p) => p.text ?? "").join("");
  return stripWrapping(text);
}

/** Models sometimes wrap the transcript in quotes or a code fence despite the prompt. */
function stripWrapping(text: string): string {
  let t = text.trim();
  const fence = /^```[a-z]*\n([\s\S]*?)\n```$/i.exec(t);
  if (fence?.[1] !== undefined) t = fence[1].trim();
  if (t.length >= 2 && /^["“«]/.test(t) && /["”»]$/.test(t)) t = t.slice(1, -1).trim();
  return t;
}
