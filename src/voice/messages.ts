// What the user sees about a voice message: the transcript echo and, when
// transcription fails, one sentence instead of silence.
import { SwitchboardError } from "../core/errors.ts";
import { ProviderError } from "../providers/types.ts";

export type TranscriptionErrorCode = "unsupported_format" | "too_large" | "not_configured" | "empty" | "failed";

/** A transcription that could not happen; `message` is already a sentence fit for the user. */
export class TranscriptionError extends Error {
  readonly code: TranscriptionErrorCode;
  constructor(code: TranscriptionErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "TranscriptionError";
    this.code = code;
  }
}

const ECHO_MAX_CHARS = 1000;

/** voice.echo_transcription: the line sent back to the chat, e.g. `🎤 "hello switchboard"`. */
export function formatTranscriptEcho(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const shown = flat.length > ECHO_MAX_CHARS ? `${flat.slice(0, ECHO_MAX_CHARS - 1)}…` : flat;
  return `🎤 "${shown}"`;
}

/**
 * One sentence telling the user their voice message was not understood and
 * why, in terms they can act on. Never includes provider messages or keys.
 */
export function transcriptionFailureMessage(err: unknown): string {
  if (err instanceof TranscriptionError) {
    if (err.code === "failed") return "Sorry, I couldn't transcribe your voice message; please try again or type it.";
    return err.message;
  }
  if (err instanceof ProviderError) {
    switch (err.reason) {
      case "rate_limit":
      case "overloaded":
        return "Sorry, the speech-to-text service is busy right now; please try your voice message again in a minute or type it.";
      case "timeout":
        return "Sorry, transcribing your voice message took too long; please try a shorter one or type it.";
      case "auth":
      case "billing":
        return "Sorry, I can't transcribe voice messages right now because the speech-to-text service rejected my credentials; please type your message.";
      case "format":
        return "Sorry, the speech-to-text service could not read that recording; please try again or type your message.";
      default:
        return "Sorry, the speech-to-text service is unavailable right now; please type your message.";
    }
  }
  if (err instanceof SwitchboardError && err.code === "all_candidates_failed") {
    return "Sorry, the speech-to-text service is unavailable right now; please type your message.";
  }
  return "Sorry, I couldn't transcribe your voice message; please try again or type it.";
}
