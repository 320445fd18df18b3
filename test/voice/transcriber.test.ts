import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ProviderError, type CallTarget } from "../../src/providers/types.ts";
import { TranscriptionError, transcriptionFailureMessage } from "../../src/voice/messages.ts";
import { findGroqApiKey, Transcriber, type VoiceConfig } from "../../src/voice/transcriber.ts";
import { directoryOf, entry, formDataOf, miniRouter, startFakeServer, type FakeServer } from "./helpers.ts";

const FIXTURES = join(import.meta.dirname, "../fixtures/audio");
const OGG = readFileSync(join(FIXTURES, "hello-switchboard.ogg"));
const WAV = readFileSync(join(FIXTURES, "tiny.wav"));

let server: FakeServer;
beforeEach(async () => {
  server = await startFakeServer();
});
afterEach(async () => {
  await server.close();
});

function setup(entries: ReturnType<typeof entry>[], voice: VoiceConfig, groqApiKey?: string) {
  const directory = directoryOf(entries);
  const calls: CallTarget[] = [];
  const t = new Transcriber({ router: miniRouter(directory, calls), directory, voice, ...(groqApiKey ? { groqApiKey } : {}) });
  return { t, calls };
}

describe("whisper-style models", () => {
  it("get the real Ogg Opus recording as multipart on /audio/transcriptions and their text comes back", async () => {
    server.on("/v1/audio/transcriptions", { json: { text: " hello switchboard " } });
    const { t } = setup(
      [entry({ modelName: "stt", model: "openai/whisper-1", apiBase: `${server.url}/v1`, apiKeys: ["sk-test-123"] })],
      { model_name: "stt" },
    );
    const text = await t.transcribe({ data: OGG, mimeType: "audio/ogg", filename: "file_17.oga" });
    expect(text).toBe("hello switchboard");

    expect(server.requests).toHaveLength(1);
    const req = server.requests[0]!;
    expect(req.method).toBe("POST");
    expect(req.headers.authorization).toBe("Bearer sk-test-123");
    expect(String(req.headers["content-type"])).toMatch(/^multipart\/form-data; boundary=/);
    const form = await formDataOf(req);
    expect(form.get("model")).toBe("whisper-1");
    expect(form.get("response_format")).toBe("json");
    const file = form.get("file") as File;
    expect(file.name).toBe("file_17.ogg");
    expect(file.type).toBe("audio/ogg");
    expect(Buffer.from(await file.arrayBuffer()).equals(OGG)).toBe(true);
  });

  it("accept a plain-text answer", async () => {
    server.on("/v1/audio/transcriptions", { text: "hello switchboard\n", contentType: "text/plain" });
    const { t } = setup([entry({ modelName: "stt", model: "groq/whisper-large-v3-turbo", apiBase: `${server.url}/v1`, apiKeys: ["k"] })], {
      model_name: "stt",
    });
    expect(await t.transcribe({ data: WAV, mimeType: "audio/wav" })).toBe("hello switchboard");
    const file = (await formDataOf(server.requests[0]!)).get("file") as File;
    expect(file.name).toBe("voice.wav");
  });

  it("fail over to the next candidate of the group", async () => {
    server.on("/a/audio/transcriptions", { status: 429, json: { error: { message: "slow down" } }, headers: { "retry-after": "7" } });
    server.on("/b/audio/transcriptions", { json: { text: "hello switchboard" } });
    const { t, calls } = setup(
      [
        entry({ id: "stt#0", modelName: "stt", model: "openai/whisper-1", apiBase: `${server.url}/a`, apiKeys: ["k1"] }),
        entry({ id: "stt#1", modelName: "stt", model: "openai/whisper-1", apiBase: `${server.url}/b`, apiKeys: ["k2"] }),
      ],
      { model_name: "stt" },
    );
    expect(await t.transcribe({ data: OGG, mimeType: "audio/ogg" })).toBe("hello switchboard");
    expect(calls.map((c) => c.entry.id)).toEqual(["stt#0", "stt#1"]);
  });

  it("turn HTTP errors into provider errors that never carry the key", async () => {
    server.on("/v1/audio/transcriptions", { status: 401, json: { error: { message: "Incorrect API key provided: sk-secret-999" } } });
    const { t } = setup([entry({ modelName: "stt", model: "openai/whisper-1", apiBase: `${server.url}/v1`, apiKeys: ["sk-secret-999"] })], {
      model_name: "stt",
    });
    const err = await t.transcribe({ data: OGG, mimeType: "audio/ogg" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).reason).toBe("auth");
    expect((err as ProviderError).message).not.toContain("sk-secret-999");
    expect(transcriptionFailureMessage(err)).not.toContain("sk-secret-999");
  });
});

describe("multimodal chat models", () => {
  it("are asked through chat with an input_audio part", async () => {
    server.on("/v1beta/openai/chat/completions", {
      json: { choices: [{ index: 0, message: { role: "assistant", content: '"Hello, Switchboard."' }, finish_reason: "stop" }] },
    });
    const { t } = setup(
      [entry({ modelName: "voice-gemini", model: "gemini/gemini-2.5-flash", apiBase: `${server.url}/v1beta/openai`, apiKeys: ["g-key"] })],
      { model_name: "voice-gemini", echo_transcription: false },
    );
    expect(await t.transcribe({ data: OGG, mimeType: "audio/ogg; codecs=opus" })).toBe("Hello, Switchboard.");
    const req = server.requests[0]!;
    expect(req.path).toBe("/v1beta/openai/chat/completions");
    expect(req.headers.authorization).toBe("Bearer g-key");
    const body = JSON.parse(req.body.toString()) as {
      model: string;
      messages: { role: string; content: { type: string; text?: string; input_audio?: { data: string; format: string } }[] }[];
    };
    expect(body.model).toBe("gemini-2.5-flash");
    const parts = body.messages[0]!.content;
    expect(parts[0]).toMatchObject({ type: "text" });
    expect(parts[0]!.text).toMatch(/verbatim/);
    expect(parts[1]!.type).toBe("input_audio");
    expect(parts[1]!.input_audio!.format).toBe("ogg");
    expect(Buffer.from(parts[1]!.input_audio!.data, "base64").equals(OGG)).toBe(true);
  });

  it("report an empty transcript as no speech", async () => {
    server.on("/v1/chat/completions", { json: { choices: [{ message: { content: "" } }] } });
    const { t } = setup([entry({ modelName: "mm", model: "openai/gpt-4o-audio-preview", apiBase: `${server.url}/v1`, apiKeys: ["k"] })], {
      model_name: "mm",
    });
    const err = await t.transcribe({ data: WAV, mimeType: "audio/wav" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TranscriptionError);
    expect((err as TranscriptionError).code).toBe("empty");
  });
});

describe("Groq fallback", () => {
  it("uses groq whisper-large-v3 when no voice model is configured and a Groq key exists", async () => {
    server.on("/openai/v1/audio/transcriptions", { json: { text: "hello switchboard" } });
    const groqChat = entry({ modelName: "llama", model: "groq/llama-3.3-70b-versatile", apiKeys: ["gsk_fromlist"] });
    // the directory resolves the direct reference to Groq's endpoint (here: the fake), without a key of its own
    const groqWhisper = entry({ modelName: "groq/whisper-large-v3", model: "groq/whisper-large-v3", apiBase: `${server.url}/openai/v1` });
    const directory = directoryOf([groqChat, groqWhisper]);
    const key = findGroqApiKey(undefined, directory, {});
    expect(key).toBe("gsk_fromlist");
    const calls: CallTarget[] = [];
    const t = new Transcriber({ router: miniRouter(directory, calls), directory, voice: {}, ...(key ? { groqApiKey: key } : {}) });
    expect(t.route()).toEqual({ model: "groq/whisper-large-v3", fallbacks: [] });
    expect(await t.transcribe({ data: OGG, mimeType: "audio/ogg" })).toBe("hello switchboard");
    const req = server.requests[0]!;
    expect(req.headers.authorization).toBe("Bearer gsk_fromlist");
    expect((await formDataOf(req)).get("model")).toBe("whisper-large-v3");
    expect(calls).toHaveLength(1);
  });

  it("prefers providers.groq.api_key, then model_list, then GROQ_API_KEY", () => {
    const dir = directoryOf([entry({ modelName: "l", model: "groq/llama", apiKeys: ["gsk_list"] })]);
    expect(findGroqApiKey("gsk_providers", dir, { GROQ_API_KEY: "gsk_env" })).toBe("gsk_providers");
    expect(findGroqApiKey(undefined, dir, { GROQ_API_KEY: "gsk_env" })).toBe("gsk_list");
    expect(findGroqApiKey(undefined, directoryOf([]), { GROQ_API_KEY: "gsk_env" })).toBe("gsk_env");
    expect(findGroqApiKey(undefined, directoryOf([]), {})).toBeUndefined();
  });

  it("a configured voice model wins over the Groq fallback", () => {
    const { t } = setup([entry({ modelName: "voice-gemini", model: "gemini/gemini-2.5-flash" })], { model_name: "voice-gemini" }, "gsk_x");
    expect(t.route()).toEqual({ model: "voice-gemini", fallbacks: [] });
  });

  it("without either, transcription is not configured", async () => {
    const { t } = setup([], {});
    expect(t.route()).toBeUndefined();
    expect(t.available()).toBe(false);
    const err = await t.transcribe({ data: OGG, mimeType: "audio/ogg" }).catch((e: unknown) => e);
    expect((err as TranscriptionError).code).toBe("not_configured");
    expect(transcriptionFailureMessage(err)).toMatch(/voice\.model_name or a Groq API key/);
  });

  it("a voice.model_name missing from model_list is named", async () => {
    const { t } = setup([], { model_name: "nope" });
    await expect(t.transcribe({ data: OGG, mimeType: "audio/ogg" })).rejects.toThrow(/voice\.model_name "nope" is not a model in model_list/);
  });
});

describe("input checks", () => {
  const stt = () =>
    setup([entry({ modelName: "stt", model: "openai/whisper-1", apiBase: `${server.url}/v1`, apiKeys: ["k"] })], { model_name: "stt", max_bytes: 100_000 });

  it("refuses formats other than ogg, mp3, m4a and wav with a sentence", async () => {
    const flac = Buffer.concat([Buffer.from("fLaC"), Buffer.alloc(64)]);
    const { t } = stt();
    const err = await t.transcribe({ data: flac, mimeType: "audio/flac" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TranscriptionError);
    expect((err as TranscriptionError).code).toBe("unsupported_format");
    expect(transcriptionFailureMessage(err)).toBe("I can't transcribe audio/flac files; send Ogg/Opus, MP3, M4A or WAV audio.");
    expect(server.requests).toHaveLength(0);
  });

  it("refuses bytes that do not match the claimed format", async () => {
    const { t } = stt();
    await expect(t.transcribe({ data: Buffer.from("just some text, not audio"), mimeType: "audio/ogg" })).rejects.toThrow(
      "That file says it is OGG audio but its contents are not; send Ogg/Opus, MP3, M4A or WAV audio.",
    );
    expect(server.requests).toHaveLength(0);
  });

  it("refuses recordings over voice.max_bytes", async () => {
    const { t } = setup([entry({ modelName: "stt", model: "openai/whisper-1", apiBase: `${server.url}/v1` })], { model_name: "stt", max_bytes: 1000 });
    const err = await t.transcribe({ data: OGG, mimeType: "audio/ogg" }).catch((e: unknown) => e);
    expect((err as TranscriptionError).code).toBe("too_large");
    expect(transcriptionFailureMessage(err)).toMatch(/too long to transcribe .*limit is 0\.0 MB/);
    expect(server.requests).toHaveLength(0);
  });

  it("defaults the cap to 25 MB", () => {
    const { t } = setup([], {});
    expect(t.maxBytes).toBe(25 * 1024 * 1024);
  });
});
