// The `image_generate` tool: OpenAI-compatible POST {apiBase}/images/generations
// (or /images/edits with an input image) through router.call with
// agents.defaults.imageGenerationModel {primary, fallbacks, timeoutMs}, so a
// LiteLLM proxy alias such as litellm/gpt-image-2 fails over like chat does.
// The configured provider base may be loopback or private (self-hosted
// proxies live there); an image URL the API returns is downloaded without the
// address checks only from the provider's own host (or a trusted host);
// otherwise the SSRF guard applies. Images come back as ToolOutput media.
import { readFile, realpath } from "node:fs/promises";
import { isAbsolute, relative, resolve as resolvePath, sep } from "node:path";
import { z } from "zod";
import { guardedFetch, type Resolver } from "../net/guarded-fetch.ts";
import { readCappedBody } from "../core/capped-body.ts";
import { SsrfRefusal } from "../net/ssrf.ts";
import { ProviderError, type CallTarget, type ChatRouter } from "../providers/types.ts";
import { multipartBody, parseJsonBody, postToProvider, type FetchFor, type MultipartField } from "../voice/provider-http.ts";
import { ToolError, type Tool, type ToolContext, type ToolOutput } from "./types.ts";
import { readCapped } from "./web-fetch.ts";
import { errorMessage } from "../core/errors.ts";

/** agents.defaults.imageGenerationModel */
export interface ImageGenerationModelConfig {
  primary: string;
  fallbacks?: string[];
  timeoutMs?: number;
}

export interface ImageToolOptions {
  router: Pick<ChatRouter, "call">;
  model: ImageGenerationModelConfig;
  /** input images named by path must live under this folder (the workspace) */
  workspaceDir?: string;
  fetchFor?: FetchFor;
  /** DNS for SSRF-guarded downloads (tests inject a table) */
  resolve?: Resolver;
  /** largest input or output image, bytes; default 20 MB */
  maxImageBytes?: number;
  /** hosts whose image URLs skip the address checks (tools.web.fetch.allow_hosts) */
  trustedHosts?: readonly string[];
}

export const DEFAULT_IMAGE_TIMEOUT_MS = 180_000;
const DEFAULT_MAX_IMAGE_BYTES = 20 * 1024 * 1024;

/**
 * Sizes the Images API documents: 256/512/1024 squares (dall-e-2), the
 * gpt-image landscape/portrait sizes, dall-e-3's 1792 sizes, and the 2K/4K
 * sizes gpt-image-2 takes (up to 3840x2160 and its portrait twin).
 */
export const IMAGE_SIZES = [
  "auto",
  "256x256",
  "512x512",
  "1024x1024",
  "1536x1024",
  "1024x1536",
  "1792x1024",
  "1024x1792",
  "2048x2048",
  "2048x1152",
  "1152x2048",
  "3840x2160",
  "2160x3840",
] as const;

export const imageArgs = z.object({
  prompt: z.string().trim().min(1, "prompt is empty").max(32_000).describe("What the image should show (or how to change the input image)"),
  size: z.enum(IMAGE_SIZES).default("1024x1024").describe("Width x height in pixels; 2K/4K sizes need a gpt-image-2 class model"),
  n: z.number().int().min(1).max(4).default(1).describe("How many images (1-4)"),
  image: z
    .string()
    .trim()
    .min(1)
    .optional()
    .describe("Image to edit: a workspace file path, an https URL or a data: URL. Omit to generate a new image."),
});
export type ImageArgs = z.infer<typeof imageArgs>;

/** GPT image models always answer base64 and reject the legacy response_format field. */
export function isGptImageModel(modelId: string): boolean {
  return /(^|\/)(chat)?gpt-image/i.test(modelId);
}

const imagesResponse = z.object({
  data: z
    .array(z.object({ b64_json: z.string().nullish(), url: z.string().nullish(), revised_prompt: z.string().nullish() }))
    .min(1),
});

interface Picture {
  data: Buffer;
  mimeType: string;
}

/** LiteLLM's image model when the config names only the proxy ("litellm"), per the LiteLLM reference. */
export const LITELLM_DEFAULT_IMAGE_MODEL = "litellm/gpt-image-2";

/** A bare `litellm` (or `litellm/`) image model means LiteLLM's default image model. */
export function imageModelRef(ref: string): string {
  return /^litellm\/?$/i.test(ref.trim()) ? LITELLM_DEFAULT_IMAGE_MODEL : ref;
}

export function createImageTool(opts: ImageToolOptions): Tool<typeof imageArgs> {
  const timeoutMs = opts.model.timeoutMs ?? DEFAULT_IMAGE_TIMEOUT_MS;
  const primary = imageModelRef(opts.model.primary);
  const fallbacks = (opts.model.fallbacks ?? []).map(imageModelRef);
  return {
    name: "image_generate",
    description:
      "Generate an image from a text prompt, or edit an input image (pass `image`). " +
      "The image is sent to the user; you get a short confirmation.",
    schema: imageArgs,
    timeoutMs: timeoutMs + 30_000,
    async run(args, ctx): Promise<ToolOutput> {
      const input = args.image ? await loadInputImage(args.image, ctx, opts) : undefined;
      let routed;
      try {
        routed = await opts.router.call(
          { model: primary, fallbacks, signal: ctx.signal },
          (target, signal) => requestImages(target, args, input, signal, opts, timeoutMs),
        );
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        throw new ToolError(`Image generation failed: ${errorMessage(err)}`);
      }
      const pictures = routed.value;
      const model = routed.target.entry.modelName;
      const verb = input ? "Edited" : "Generated";
      return {
        text: `${verb} ${pictures.length} image${pictures.length === 1 ? "" : "s"} (${args.size}) with ${model}; ${pictures.length === 1 ? "it was" : "they were"} sent to the user.`,
        media: pictures.map((p) => ({ kind: "image" as const, mimeType: p.mimeType, data: p.data })),
      };
    },
  };
}

async function requestImages(
  target: CallTarget,
  args: ImageArgs,
  input: Picture | undefined,
  signal: AbortSignal,
  opts: ImageToolOptions,
  timeoutMs: number,
): Promise<Picture[]> {
  const modelId = target.entry.modelId;
  const format: Record<string, string> = isGptImageModel(modelId) ? { output_format: "png" } : { response_format: "b64_json" };
  let result;
  if (input) {
    const fields: MultipartField[] = [
      { name: "image", filename: `input.${input.mimeType.split("/")[1] ?? "png"}`, contentType: input.mimeType, data: input.data },
      { name: "prompt", value: args.prompt },
      { name: "model", value: modelId },
      { name: "n", value: String(args.n) },
      { name: "size", value: args.size },
      ...Object.entries(format).map(([name, value]) => ({ name, value })),
    ];
    result = await postToProvider(target, "images/edits", multipartBody(fields), signal, opts.fetchFor, timeoutMs);
  } else {
    const body = JSON.stringify({ ...(target.entry.extraBody ?? {}), model: modelId, prompt: args.prompt, n: args.n, size: args.size, ...format });
    result = await postToProvider(target, "images/generations", { body, contentType: "application/json" }, signal, opts.fetchFor, timeoutMs);
  }
  const parsed = imagesResponse.safeParse(parseJsonBody(result, target));
  if (!parsed.success) throw new ProviderError("server_error", `${target.entry.modelName} answered without image data`);
  const pictures: Picture[] = [];
  for (const item of parsed.data.data) {
    let data: Buffer;
    if (item.b64_json) data = Buffer.from(item.b64_json, "base64");
    else if (item.url) data = await downloadResult(item.url, target, signal, opts);
    else throw new ProviderError("server_error", `${target.entry.modelName} answered an image with neither b64_json nor url`);
    const mimeType = imageMime(data);
    if (!mimeType) throw new ProviderError("server_error", `${target.entry.modelName} returned data that is not a PNG, JPEG or WebP image`);
    pictures.push({ data, mimeType });
  }
  return pictures;
}

/**
 * Hosts whose image URLs are fetched without the address checks: the host of
 * the provider's own api_base (a self-hosted proxy on a private network serves
 * its images from there) and the owner's trusted hosts. Every other host, and
 * every redirect hop, goes through the SSRF guard.
 */
export function trustedImageHosts(apiBase: string, extra: readonly string[] = []): string[] {
  const hosts = [...extra];
  try {
    hosts.push(new URL(apiBase).hostname);
  } catch {
    // no usable api_base: nothing to trust
  }
  return hosts;
}

/**
 * Downloads an image URL the provider returned: through the entry's proxy,
 * the SSRF guard (redirects checked hop by hop) and a size cap enforced while
 * the body streams, so an oversized answer is never held in memory.
 */
async function downloadResult(url: string, target: CallTarget, signal: AbortSignal, opts: ImageToolOptions): Promise<Buffer> {
  const max = opts.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  if (url.startsWith("data:")) return decodeDataUrl(url).data;
  const tooBig = () => new ProviderError("server_error", `the generated image is larger than ${Math.round(max / 1024 / 1024)} MB`);
  try {
    const res = await guardedFetch(url, {
      signal,
      allowHosts: trustedImageHosts(target.entry.apiBase, opts.trustedHosts),
      ...(target.entry.proxy ? { proxy: target.entry.proxy } : {}),
      ...(opts.resolve ? { resolve: opts.resolve } : {}),
    });
    try {
      if (res.response.status !== 200) throw new ProviderError("server_error", `downloading the generated image failed with HTTP ${res.response.status}`);
      return await readCappedBody(res.response as unknown as Response, max, tooBig);
    } finally {
      await res.close().catch(() => {});
    }
  } catch (err) {
    if (err instanceof ProviderError) throw err;
    // A refused address is the provider's fault, not the model's: try the next candidate.
    if (err instanceof SsrfRefusal) throw new ProviderError("server_error", `the provider's image URL was ${err.message}`, { cause: err });
    if (signal.aborted) throw new ProviderError("aborted", "image download cancelled", { cause: err });
    throw new ProviderError("network", "could not download the generated image", { cause: err });
  }
}

/** image/png, image/jpeg or image/webp from the magic bytes; undefined otherwise. */
export function imageMime(data: Buffer): string | undefined {
  if (data.length >= 8 && data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "image/png";
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return "image/jpeg";
  if (data.length >= 12 && data.toString("latin1", 0, 4) === "RIFF" && data.toString("latin1", 8, 12) === "WEBP") return "image/webp";
  return undefined;
}

function decodeDataUrl(url: string): Picture {
  const m = /^data:([\w/+.-]+)?(;base64)?,(.*)$/s.exec(url);
  if (!m || !m[2]) throw new ToolError("the data: URL must be base64-encoded (data:image/png;base64,...)");
  const data = Buffer.from(m[3] ?? "", "base64");
  return { data, mimeType: imageMime(data) ?? "" };
}

async function loadInputImage(ref: string, ctx: ToolContext, opts: ImageToolOptions): Promise<Picture> {
  const max = opts.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  let data: Buffer;
  if (ref.startsWith("data:")) {
    data = decodeDataUrl(ref).data;
  } else if (/^https?:\/\//i.test(ref)) {
    try {
      const res = await guardedFetch(ref, { signal: ctx.signal, ...(opts.resolve ? { resolve: opts.resolve } : {}) });
      try {
        if (res.response.status !== 200) throw new ToolError(`could not fetch the input image: HTTP ${res.response.status}`);
        const body = await readCapped(res.response.body, max + 1);
        data = Buffer.from(body.bytes);
      } finally {
        await res.close().catch(() => {});
      }
    } catch (err) {
      if (err instanceof ToolError) throw err;
      throw new ToolError(`could not fetch the input image: ${errorMessage(err)}`);
    }
  } else {
    data = await readWorkspaceImage(ref, opts.workspaceDir);
  }
  if (data.length > max) throw new ToolError(`the input image is larger than ${Math.round(max / 1024 / 1024)} MB`);
  const mimeType = imageMime(data);
  if (!mimeType) throw new ToolError("the input image must be a PNG, JPEG or WebP file");
  return { data, mimeType };
}

async function readWorkspaceImage(ref: string, workspaceDir: string | undefined): Promise<Buffer> {
  if (!workspaceDir) throw new ToolError("input images must be given as an https URL or a data: URL here");
  const root = await realpath(workspaceDir);
  let path: string;
  try {
    path = await realpath(isAbsolute(ref) ? ref : resolvePath(root, ref));
  } catch {
    throw new ToolError(`there is no file "${ref}" in the workspace`);
  }
  const rel = relative(root, path);
  if (rel === "" || rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel)) {
    throw new ToolError(`"${ref}" is outside the workspace; only workspace files can be edited`);
  }
  return readFile(path);
}
