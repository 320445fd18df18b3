import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.ts";
import { silentLogger } from "../../src/core/logger.ts";
import type { CallTarget, ModelEntry } from "../../src/providers/types.ts";
import { createImageTool, imageArgs, imageMime, trustedImageHosts, type ImageToolOptions } from "../../src/tools/image-tool.ts";
import type { ToolOutput } from "../../src/tools/types.ts";
import type { FetchLike } from "../../src/voice/provider-http.ts";
import { directoryOf, entry, formDataOf, miniRouter, startFakeServer, type FakeServer } from "../voice/helpers.ts";

// a real 1x1 PNG
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=", "base64");
const PNG2 = Buffer.concat([PNG.subarray(0, PNG.length - 12), Buffer.from("0000000049454e44ae426082", "hex")]);

let server: FakeServer;
let workspace: string;
beforeEach(async () => {
  server = await startFakeServer();
  workspace = await mkdtemp(join(tmpdir(), "sb-image-"));
});
afterEach(async () => {
  await server.close();
  await rm(workspace, { recursive: true, force: true });
});

function tool(entries: ModelEntry[], over: Partial<ImageToolOptions> = {}, calls: CallTarget[] = []) {
  const directory = directoryOf(entries);
  const t = createImageTool({
    router: miniRouter(directory, calls),
    model: { primary: "litellm/gpt-image-2", timeoutMs: 180_000 },
    workspaceDir: workspace,
    ...over,
  });
  return async (raw: unknown): Promise<ToolOutput> => {
    const out = await t.run(imageArgs.parse(raw), {
      origin: { sessionKey: "s", channel: "telegram", chatId: "1" },
      signal: new AbortController().signal,
      logger: silentLogger(),
      clock: new ManualClock(),
    });
    if (typeof out === "string") throw new Error("expected media");
    return out;
  };
}

const litellm = (base: string, key = "sk-litellm") =>
  entry({ modelName: "litellm/gpt-image-2", model: "litellm/gpt-image-2", apiBase: base, apiKeys: [key] });

describe("image_generate", () => {
  it("generates through a LiteLLM proxy on loopback and returns PNG media", async () => {
    server.on("/v1/images/generations", { json: { created: 1, data: [{ b64_json: PNG.toString("base64") }] } });
    const run = tool([litellm(`${server.url}/v1`)]);
    const out = await run({ prompt: "a lighthouse at dusk", size: "1536x1024" });
    expect(out.media).toEqual([{ kind: "image", mimeType: "image/png", data: PNG }]);
    expect(out.text).toBe("Generated 1 image (1536x1024) with litellm/gpt-image-2; it was sent to the user.");

    const req = server.requests[0]!;
    expect(req.path).toBe("/v1/images/generations");
    expect(req.headers.authorization).toBe("Bearer sk-litellm");
    expect(JSON.parse(req.body.toString())).toEqual({
      model: "gpt-image-2",
      prompt: "a lighthouse at dusk",
      n: 1,
      size: "1536x1024",
      output_format: "png",
    });
  });

  it("asks legacy models for b64_json", async () => {
    server.on("/v1/images/generations", { json: { data: [{ b64_json: PNG.toString("base64") }, { b64_json: PNG2.toString("base64") }] } });
    const run = tool([entry({ modelName: "dalle", model: "openai/dall-e-2", apiBase: `${server.url}/v1`, apiKeys: ["k"] })], {
      model: { primary: "dalle" },
    });
    const out = await run({ prompt: "cat", size: "256x256", n: 2 });
    expect(out.media?.map((m) => m.data)).toEqual([PNG, PNG2]);
    expect(JSON.parse(server.requests[0]!.body.toString())).toMatchObject({ model: "dall-e-2", n: 2, size: "256x256", response_format: "b64_json" });
  });

  it("edits a workspace image through /images/edits as multipart", async () => {
    await writeFile(join(workspace, "photo.png"), PNG);
    server.on("/v1/images/edits", { json: { data: [{ b64_json: PNG2.toString("base64") }] } });
    const run = tool([litellm(`${server.url}/v1`)]);
    const out = await run({ prompt: "make it snow", image: "photo.png" });
    expect(out.text).toMatch(/^Edited 1 image/);
    expect(out.media?.[0]?.data).toEqual(PNG2);

    const req = server.requests[0]!;
    expect(req.path).toBe("/v1/images/edits");
    const form = await formDataOf(req);
    expect(form.get("prompt")).toBe("make it snow");
    expect(form.get("model")).toBe("gpt-image-2");
    expect(form.get("size")).toBe("1024x1024");
    const file = form.get("image") as File;
    expect(file.type).toBe("image/png");
    expect(Buffer.from(await file.arrayBuffer()).equals(PNG)).toBe(true);
  });

  it("edits a data: URL image", async () => {
    server.on("/v1/images/edits", { json: { data: [{ b64_json: PNG2.toString("base64") }] } });
    const run = tool([litellm(`${server.url}/v1`)]);
    await run({ prompt: "x", image: `data:image/png;base64,${PNG.toString("base64")}` });
    const file = (await formDataOf(server.requests[0]!)).get("image") as File;
    expect(Buffer.from(await file.arrayBuffer()).equals(PNG)).toBe(true);
  });

  it("refuses input images outside the workspace or that are not images", async () => {
    const run = tool([litellm(`${server.url}/v1`)]);
    await expect(run({ prompt: "x", image: "../../etc/hostname" })).rejects.toThrow(/outside the workspace|no file/);
    await writeFile(join(workspace, "notes.txt"), "hello");
    await expect(run({ prompt: "x", image: "notes.txt" })).rejects.toThrow("the input image must be a PNG, JPEG or WebP file");
    await expect(run({ prompt: "x", image: "http://127.0.0.1:1/x.png" })).rejects.toThrow(/refused/);
    expect(server.requests).toHaveLength(0);
  });

  it("downloads a returned URL when the provider is on a private network", async () => {
    const files = await startFakeServer();
    try {
      files.on("/img/1.png", { body: PNG, contentType: "image/png" });
      server.on("/v1/images/generations", { json: { data: [{ url: `${files.url}/img/1.png` }] } });
      const out = await tool([litellm(`${server.url}/v1`)])({ prompt: "x" });
      expect(out.media?.[0]?.data).toEqual(PNG);
    } finally {
      await files.close();
    }
  });

  it("keeps the SSRF rules for URLs returned by a public provider", async () => {
    const files = await startFakeServer();
    try {
      files.on("/img/1.png", { body: PNG, contentType: "image/png" });
      server.on("/v1/images/generations", { json: { data: [{ url: `${files.url}/img/1.png` }] } });
      // a provider at a public address, reached through the fake server
      const viaFake: FetchLike = (url, init) => fetch(url.replace("https://images.example.com", server.url), init);
      const run = tool([litellm("https://images.example.com/v1")], { fetchFor: () => viaFake });
      await expect(run({ prompt: "x" })).rejects.toThrow(/Image generation failed: .*refused: 127\.0\.0\.1 is a loopback address/);
      expect(files.requests).toHaveLength(0);
    } finally {
      await files.close();
    }
  });

  it("falls back to imageGenerationModel.fallbacks", async () => {
    server.on("/primary/images/generations", { status: 503, json: { error: { message: "overloaded" } } });
    server.on("/backup/images/generations", { json: { data: [{ b64_json: PNG.toString("base64") }] } });
    const calls: CallTarget[] = [];
    const run = tool(
      [litellm(`${server.url}/primary`), entry({ modelName: "backup", model: "openai/gpt-image-1", apiBase: `${server.url}/backup`, apiKeys: ["k"] })],
      { model: { primary: "litellm/gpt-image-2", fallbacks: ["backup"] } },
      calls,
    );
    const out = await run({ prompt: "x" });
    expect(out.text).toContain("with backup");
    expect(calls.map((c) => c.entry.modelName)).toEqual(["litellm/gpt-image-2", "backup"]);
  });

  it("reports provider failures without the key", async () => {
    server.on("/v1/images/generations", { status: 400, json: { error: { message: "bad key sk-litellm-secret" } } });
    const run = tool([litellm(`${server.url}/v1`, "sk-litellm-secret")]);
    const err = (await run({ prompt: "x" }).then(() => new Error("no error"), (e: unknown) => e)) as Error;
    expect(err.message).toMatch(/^Image generation failed: HTTP 400/);
    expect(err.message).not.toContain("sk-litellm-secret");
  });

  it("refuses a response that is not an image", async () => {
    server.on("/v1/images/generations", { json: { data: [{ b64_json: Buffer.from("<html>").toString("base64") }] } });
    await expect(tool([litellm(`${server.url}/v1`)])({ prompt: "x" })).rejects.toThrow(/not a PNG, JPEG or WebP/);
  });
});

describe("sizes", () => {
  it.each(["256x256", "512x512", "1024x1024", "1536x1024", "1024x1536", "2048x2048", "3840x2160", "2160x3840", "auto"])("accepts %s", (size) => {
    expect(imageArgs.safeParse({ prompt: "x", size }).success).toBe(true);
  });

  it.each(["1000x1000", "4096x4096", "1024", "1024x1024x2"])("refuses %s", (size) => {
    expect(imageArgs.safeParse({ prompt: "x", size }).success).toBe(false);
  });

  it("defaults to one 1024x1024 image and caps n", () => {
    expect(imageArgs.parse({ prompt: "x" })).toEqual({ prompt: "x", size: "1024x1024", n: 1 });
    expect(imageArgs.safeParse({ prompt: "x", n: 5 }).success).toBe(false);
  });
});

it("trusts image downloads only from the provider's own host and configured hosts", () => {
  expect(trustedImageHosts("http://localhost:4000/v1")).toEqual(["localhost"]);
  expect(trustedImageHosts("https://api.openai.com/v1", ["cdn.example.com"])).toEqual(["cdn.example.com", "api.openai.com"]);
  expect(trustedImageHosts("")).toEqual([]);
});

it("reads a bare litellm image model as LiteLLM's gpt-image-2", async () => {
  const server = await startFakeServer();
  try {
    server.on("/v1/images/generations", { json: { data: [{ b64_json: PNG.toString("base64") }] } });
    const e = entry({ modelName: "litellm/gpt-image-2", model: "litellm/gpt-image-2", apiBase: `${server.url}/v1` });
    const t = createImageTool({ router: miniRouter(directoryOf([e])), model: { primary: "litellm" } });
    await t.run(imageArgs.parse({ prompt: "x" }), { origin: { sessionKey: "s", channel: "cli", chatId: "1" }, signal: new AbortController().signal, logger: silentLogger(), clock: new ManualClock() });
    expect(JSON.parse(server.requests[0]!.body.toString()).model).toBe("gpt-image-2");
  } finally {
    await server.close();
  }
});
