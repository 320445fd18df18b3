// `proxy` covers every outbound provider call, not only chat: whisper
// transcription (voice.model_name and the Groq fallback), multimodal
// transcription, image generation and the download of a returned image URL.
// Image downloads also stream under their size cap.
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { createImageTool, imageArgs } from "../../src/tools/image-tool.ts";
import { GROQ_WHISPER_MODEL, Transcriber } from "../../src/voice/transcriber.ts";
import { startFakeProxy, type FakeProxy } from "../fakes/fake-proxy.ts";
import { directoryOf, entry, miniRouter, startFakeServer, type FakeServer } from "../voice/helpers.ts";

const OGG = readFileSync(join(import.meta.dirname, "../fixtures/audio/hello-switchboard.ogg"));
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=", "base64");

let proxy: FakeProxy;
let server: FakeServer;
beforeAll(async () => {
  proxy = await startFakeProxy();
});
afterAll(() => proxy.close());
beforeEach(async () => {
  server = await startFakeServer();
  proxy.targets.length = 0;
});
afterEach(() => server.close());

const hostOf = (url: string) => new URL(url).host;
const ctx = () => ({ origin: { sessionKey: "s", channel: "cli", chatId: "1" }, signal: new AbortController().signal, logger: silentLogger(), clock: new ManualClock() });

describe("proxy on non-chat provider calls", () => {
  it("sends whisper transcription (voice.model_name) through the entry's proxy", async () => {
    server.on("/v1/audio/transcriptions", { json: { text: "hello" } });
    const e = entry({ modelName: "stt", model: "openai/whisper-1", apiBase: `${server.url}/v1`, apiKeys: ["sk-stt-123456"], proxy: proxy.url });
    const directory = directoryOf([e]);
    const t = new Transcriber({ router: miniRouter(directory), directory, voice: { model_name: "stt" } });
    expect(await t.transcribe({ data: OGG, mimeType: "audio/ogg" })).toBe("hello");
    expect(proxy.targets).toContain(hostOf(server.url));
  });

  it("sends the Groq Whisper fallback through providers.groq.proxy (carried on the entry)", async () => {
    server.on("/openai/v1/audio/transcriptions", { json: { text: "groq heard you" } });
    const e = entry({ modelName: GROQ_WHISPER_MODEL, model: GROQ_WHISPER_MODEL, apiBase: `${server.url}/openai/v1`, proxy: proxy.url });
    const directory = directoryOf([e]);
    const t = new Transcriber({ router: miniRouter(directory), directory, groqApiKey: "gsk-groq-123456" });
    expect(await t.transcribe({ data: OGG, mimeType: "audio/ogg" })).toBe("groq heard you");
    expect(proxy.targets).toContain(hostOf(server.url));
    expect(server.requests[0]!.headers.authorization).toBe("Bearer gsk-groq-123456");
  });

  it("sends image generation and the returned image's download through the proxy", async () => {
    const files = await startFakeServer();
    try {
      files.on("/img/1.png", { body: PNG, contentType: "image/png" });
      server.on("/v1/images/generations", { json: { data: [{ url: `${files.url}/img/1.png` }] } });
      const e = entry({ modelName: "img", model: "litellm/gpt-image-2", apiBase: `${server.url}/v1`, apiKeys: ["sk-img-123456"], proxy: proxy.url });
      const tool = createImageTool({ router: miniRouter(directoryOf([e])), model: { primary: "img" } });
      const out = await tool.run(imageArgs.parse({ prompt: "a boat" }), ctx());
      expect(typeof out === "string" ? undefined : out.media?.[0]?.data).toEqual(PNG);
      expect(proxy.targets).toEqual([hostOf(server.url), hostOf(files.url)]);
    } finally {
      await files.close();
    }
  });
});

describe("image downloads", () => {
  let big: Server;
  let written = 0;
  let closedEarly = false;
  const TOTAL = 50 * 1024 * 1024;
  beforeAll(async () => {
    // streams a 50 MB "image", honouring backpressure, and notes when the client hangs up
    big = createServer((_req, res) => {
      written = 0;
      closedEarly = false;
      res.writeHead(200, { "content-type": "image/png" });
      const chunk = Buffer.concat([PNG, Buffer.alloc(64 * 1024 - PNG.length)]);
      const pump = () => {
        while (written < TOTAL) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        res.end();
      };
      res.on("close", () => {
        if (written < TOTAL || !res.writableFinished) closedEarly = true;
      });
      pump();
    });
    await new Promise<void>((r) => big.listen(0, "127.0.0.1", r));
  });
  afterAll(() => new Promise<void>((r) => big.close(() => r())));

  it("checks every redirect hop: the provider's own host is trusted, a redirect elsewhere is not", async () => {
    const files = await startFakeServer();
    try {
      files.on("/img/1.png", { status: 302, headers: { location: `http://localhost:${new URL(files.url).port}/img/2.png` } });
      files.on("/img/2.png", { body: PNG, contentType: "image/png" });
      server.on("/v1/images/generations", { json: { data: [{ url: `${files.url}/img/1.png` }] } });
      const e = entry({ modelName: "img", model: "litellm/gpt-image-2", apiBase: `${server.url}/v1` });
      const tool = createImageTool({ router: miniRouter(directoryOf([e])), model: { primary: "img" } });
      await expect(tool.run(imageArgs.parse({ prompt: "x" }), ctx())).rejects.toThrow(/refused: .*loopback/);
      expect(files.requests.map((r) => r.path)).toEqual(["/img/1.png"]);
    } finally {
      await files.close();
    }
  });

  it("stops reading a 50 MB image at the 20 MB cap instead of loading it whole", async () => {
    const url = `http://127.0.0.1:${(big.address() as AddressInfo).port}/huge.png`;
    server.on("/v1/images/generations", { json: { data: [{ url }] } });
    const e = entry({ modelName: "img", model: "litellm/gpt-image-2", apiBase: `${server.url}/v1` });
    const tool = createImageTool({ router: miniRouter(directoryOf([e])), model: { primary: "img" } });
    await expect(tool.run(imageArgs.parse({ prompt: "x" }), ctx())).rejects.toThrow(/larger than 20 MB/);
    await expect.poll(() => closedEarly, { timeout: 5000 }).toBe(true);
    expect(written).toBeLessThan(TOTAL);
  });
});
