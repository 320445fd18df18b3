import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ProviderError } from "../../src/providers/types.ts";
import { SwitchboardError } from "../../src/core/errors.ts";
import { audioRefusal, formatFromMime, sniffAudioFormat, uploadFilename } from "../../src/voice/formats.ts";
import { formatTranscriptEcho, TranscriptionError, transcriptionFailureMessage } from "../../src/voice/messages.ts";
import { isWhisperStyle } from "../../src/voice/whisper.ts";
import { entry } from "./helpers.ts";

const FIXTURES = join(import.meta.dirname, "../fixtures/audio");

describe("audio formats", () => {
  it("recognizes the fixtures by their bytes", () => {
    expect(sniffAudioFormat(readFileSync(join(FIXTURES, "hello-switchboard.ogg")))).toBe("ogg");
    expect(sniffAudioFormat(readFileSync(join(FIXTURES, "tiny.wav")))).toBe("wav");
  });

  it("recognizes mp3 (ID3 and bare frames) and m4a", () => {
    expect(sniffAudioFormat(Buffer.from("ID3\x04\x00\x00\x00\x00\x00\x00", "latin1"))).toBe("mp3");
    expect(sniffAudioFormat(Buffer.from([0xff, 0xfb, 0x90, 0x64]))).toBe("mp3");
    expect(sniffAudioFormat(Buffer.from("\x00\x00\x00\x20ftypM4A \x00\x00", "latin1"))).toBe("m4a");
    expect(sniffAudioFormat(Buffer.from("fLaC\x00\x00", "latin1"))).toBeUndefined();
    expect(sniffAudioFormat(Buffer.from("\x1aE\xdf\xa3", "latin1"))).toBeUndefined(); // webm
  });

  it("reads mime types with parameters", () => {
    expect(formatFromMime("audio/ogg; codecs=opus")).toBe("ogg");
    expect(formatFromMime("audio/x-m4a")).toBe("m4a");
    expect(formatFromMime("audio/webm")).toBeUndefined();
  });

  it("trusts the bytes over the label", () => {
    const ogg = readFileSync(join(FIXTURES, "hello-switchboard.ogg"));
    expect(audioRefusal(ogg, "application/octet-stream")).toBeUndefined();
    expect(audioRefusal(Buffer.from("x"), undefined)).toBe("I can't transcribe that kind of file; send Ogg/Opus, MP3, M4A or WAV audio.");
  });

  it("names uploads with the extension of the detected format", () => {
    expect(uploadFilename("ogg", "voice_123.oga")).toBe("voice_123.ogg");
    expect(uploadFilename("ogg", "note.opus")).toBe("note.opus");
    expect(uploadFilename("mp3", undefined)).toBe("voice.mp3");
    expect(uploadFilename("wav", "../../etc/passwd")).toBe("passwd.wav");
    expect(uploadFilename("wav", "")).toBe("voice.wav");
  });
});

describe("whisper-style detection", () => {
  it.each([
    ["openai/whisper-1", true],
    ["groq/whisper-large-v3", true],
    ["litellm/my-whisper", true],
    ["openai/gpt-4o-mini-transcribe", true],
    ["gemini/gemini-2.5-flash", false],
    ["openai/gpt-4o-audio-preview", false],
    ["litellm/gpt-4o-transcribe", false],
  ])("%s → %s", (model, expected) => {
    expect(isWhisperStyle(entry({ modelName: "m", model }))).toBe(expected);
  });
});

describe("user-facing text", () => {
  it("echoes the transcript on one line", () => {
    expect(formatTranscriptEcho("hello\n  switchboard ")).toBe('🎤 "hello switchboard"');
  });

  it("words every failure as one sentence", () => {
    const errors = [
      new ProviderError("rate_limit", "HTTP 429"),
      new ProviderError("timeout", "slow"),
      new ProviderError("auth", "HTTP 401 key sk-abc"),
      new ProviderError("network", "ECONNREFUSED"),
      new SwitchboardError("all_candidates_failed", "all failed"),
      new TranscriptionError("failed", "x"),
      new Error("boom"),
    ];
    for (const err of errors) {
      const msg = transcriptionFailureMessage(err);
      expect(msg).toMatch(/^[A-Z][^\n]*[.]$/);
      expect(msg).not.toMatch(/sk-abc|ECONNREFUSED|HTTP/);
    }
    expect(transcriptionFailureMessage(new ProviderError("rate_limit", "x"))).toMatch(/busy/);
  });
});
