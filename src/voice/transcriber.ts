// Voice messages to text. voice.model_name names a model_list group; each
// candidate the router picks is asked the way it understands: whisper-style
// models through /audio/transcriptions, other models through chat with an
// input_audio part. Without voice.model_name, Groq's whisper-large-v3 is used
// when a Groq key is configured. Every call goes through router.call, so
// transcription gets the same round-robin, failover and cooldowns as chat.
import { silentLogger, type Logger } from "../core/logger.ts";
import { storedToken } from "../providers/credentials.ts";
import type { CallTarget, ChatRouter, ModelDirectory, RouteOptions } from "../providers/types.ts";
import { audioRefusal, sniffAudioFormat, uploadFilename } from "./formats.ts";
import { TranscriptionError } from "./messages.ts";
import { chatTranscribe } from "./multimodal.ts";
import type { FetchFor } from "./provider-http.ts";
import { isWhisperStyle, whisperTranscribe, type AudioInput } from "./whisper.ts";

/** The config's `voice` section. */
export interface VoiceConfig {
  /** a model_list group (or vendor/model reference) that transcribes */
  model_name?: string;
  /** echo the transcript back to the chat before answering */
  echo_transcription?: boolean;
  /** largest recording accepted, in bytes; default 25 MB (the OpenAI/Groq upload limit) */
  max_bytes?: number;
  /** ISO-639-1 hint for whisper-style models */
  language?: string;
}

export const DEFAULT_MAX_VOICE_BYTES = 25 * 1024 * 1024;
export const GROQ_WHISPER_MODEL = "groq/whisper-large-v3";

export interface TranscribeInput {
  data: Buffer;
  mimeType: string;
  filename?: string;
  signal?: AbortSignal;
}

export interface TranscriberOptions {
  router: Pick<ChatRouter, "call">;
  directory: ModelDirectory;
  voice?: VoiceConfig;
  /**
   * The Groq key for the fallback (providers.groq.api_key, a groq/ model_list
   * entry's key; see findGroqApiKey). Used when the router's Groq target has none.
   */
  groqApiKey?: string;
  fetchFor?: FetchFor;
  logger?: Logger;
}

/** providers.groq.api_key, else the first key of a groq/ model_list entry, else a token from `auth login --provider groq`, else GROQ_API_KEY. */
export function findGroqApiKey(
  providersGroqKey: string | undefined,
  directory: ModelDirectory,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (providersGroqKey?.trim()) return providersGroqKey.trim();
  for (const entry of directory.all()) {
    if (entry.vendor === "groq" && entry.apiKeys[0]) return entry.apiKeys[0];
  }
  return storedToken("groq", env) ?? (env.GROQ_API_KEY?.trim() || undefined);
}

export class Transcriber {
  private readonly opts: TranscriberOptions;
  private readonly log: Logger;
  readonly maxBytes: number;

  constructor(opts: TranscriberOptions) {
    this.opts = opts;
    this.log = opts.logger ?? silentLogger();
    this.maxBytes = opts.voice?.max_bytes ?? DEFAULT_MAX_VOICE_BYTES;
  }

  /** voice.echo_transcription */
  get echo(): boolean {
    return this.opts.voice?.echo_transcription === true;
  }

  /** The route transcription takes, or undefined when nothing can transcribe. */
  route(): RouteOptions | undefined {
    const name = this.opts.voice?.model_name?.trim();
    if (name) return { model: name, fallbacks: [] };
    if (this.opts.groqApiKey) return { model: GROQ_WHISPER_MODEL, fallbacks: [] };
    return undefined;
  }

  /** True when voice messages can be transcribed with this configuration. */
  available(): boolean {
    const route = this.route();
    return route !== undefined && (route.model === GROQ_WHISPER_MODEL || this.opts.directory.lookup(route.model ?? "").length > 0);
  }

  /**
   * The transcript of a recording. Throws TranscriptionError for input that is
   * refused or a configuration that cannot transcribe, and the router's error
   * when every candidate failed; transcriptionFailureMessage() words either.
   */
  async transcribe(input: TranscribeInput): Promise<string> {
    if (input.data.length === 0) throw new TranscriptionError("empty", "That voice message is empty.");
    if (input.data.length > this.maxBytes) {
      throw new TranscriptionError(
        "too_large",
        `That recording is too long to transcribe (${mb(input.data.length)}; the limit is ${mb(this.maxBytes)}).`,
      );
    }
    const refusal = audioRefusal(input.data, input.mimeType);
    const format = sniffAudioFormat(input.data);
    if (refusal || !format) throw new TranscriptionError("unsupported_format", refusal ?? "That is not audio I can transcribe.");

    const route = this.route();
    if (!route) {
      throw new TranscriptionError(
        "not_configured",
        "I can't transcribe voice messages yet: set voice.model_name or a Groq API key in the configuration.",
      );
    }
    const name = this.opts.voice?.model_name?.trim();
    if (name && this.opts.directory.lookup(name).length === 0) {
      throw new TranscriptionError(
        "not_configured",
        `I can't transcribe voice messages: voice.model_name "${name}" is not a model in model_list.`,
      );
    }
    const audio: AudioInput = {
      data: input.data,
      format,
      filename: uploadFilename(format, input.filename),
      ...(this.opts.voice?.language ? { language: this.opts.voice.language } : {}),
    };
    const routed = await this.opts.router.call(
      { ...route, ...(input.signal ? { signal: input.signal } : {}) },
      (target, signal) => this.callTarget(target, audio, signal),
    );
    const text = routed.value.trim();
    this.log.debug({ model: routed.target.entry.modelName, chars: text.length }, "voice: transcribed");
    if (!text) throw new TranscriptionError("empty", "I couldn't hear any speech in that voice message.");
    return text;
  }

  private callTarget(target: CallTarget, audio: AudioInput, signal: AbortSignal): Promise<string> {
    const withKey: CallTarget =
      target.apiKey === undefined && target.entry.vendor === "groq" && this.opts.groqApiKey
        ? { ...target, apiKey: this.opts.groqApiKey }
        : target;
    return isWhisperStyle(target.entry)
      ? whisperTranscribe(withKey, audio, signal, this.opts.fetchFor)
      : chatTranscribe(withKey, audio, signal, this.opts.fetchFor);
  }
}

function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
