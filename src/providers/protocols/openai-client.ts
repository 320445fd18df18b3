// OpenAI-compatible /chat/completions (and Azure OpenAI deployments) through
// the official `openai` package, loaded on first use, with its own retries
// off: the router owns retries. Plain and SSE streaming, tool calls, usage,
// per-entry proxy, headers, extra_body and timeout; cancel aborts the call.
import type { ChatDelta, ChatRequest, ChatResult } from "../../core/chat.ts";
import { answerHeadersAreHeaders, leanFetch, oneSignal } from "../../net/lean-fetch.ts";
import { fetchVia, type FetchLike } from "../../net/proxy.ts";
import { ProviderError, type CallTarget, type ProviderClient } from "../types.ts";
import { requestTimedOut, SdkClientCache, sdkFailure } from "./sdk-common.ts";
import { IdleTimer } from "./idle-timer.ts";
import { openAiBody, parseCompletion, StreamAssembler } from "./openai-wire.ts";
import { reusingClientClass, type ReusingClient } from "./openai-request.ts";
import { sseEvents, type SseEvent } from "./sse.ts";

type OpenAiModule = typeof import("openai");
type SdkClient = InstanceType<OpenAiModule["OpenAI"]>;

let sdk: Promise<OpenAiModule> | undefined;
const loadSdk = () => (sdk ??= import("openai"));
/** loads the SDK ahead of the first call (the gateway does once it is ready), so no reply waits for it */
export const preloadSdk = (): Promise<unknown> => loadSdk();

export const DEFAULT_AZURE_API_VERSION = "2024-10-21";

/** Azure: the resource endpoint and deployment, from an api_base with or without /openai/deployments/<name>. */
export function azureParts(apiBase: string, modelId: string): { endpoint: string; deployment: string } {
  const m = /^(.*?)\/openai\/deployments\/([^/?#]+)/.exec(apiBase);
  if (m) return { endpoint: m[1]!, deployment: decodeURIComponent(m[2]!) };
  return { endpoint: apiBase.replace(/\/openai\/?$/, ""), deployment: modelId };
}

/**
 * Per-request options that cancel the call through the transport
 * (LeanInit.cancel) rather than the SDK's `signal`: given a signal, the SDK
 * composes it with its own timeout signal (AbortSignal.any) and listens on it
 * for every request. An abort still rejects the call (sdkFailure reads the
 * caller's signal to call it "aborted").
 */
function cancelledBy(signal: AbortSignal | undefined): { fetchOptions?: { cancel: AbortSignal } } {
  // LeanInit's own field: the SDK passes fetchOptions through to the transport untouched
  return signal ? { fetchOptions: { cancel: signal } } : {};
}

/**
 * POST /chat/completions through the SDK's generic request (it builds the
 * URL, the Azure deployment path, auth and headers, and maps HTTP errors).
 * Not chat.completions.create(): that one serializes the body with a
 * replacer function (to notice a `stream` flag set during serialization),
 * which costs several times a plain JSON.stringify on every call; our body's
 * `stream` is known before it is sent.
 */
function post(client: SdkClient, body: Record<string, unknown>, stream: boolean, signal: AbortSignal | undefined): Promise<unknown> {
  // the SDK's client of an OpenAI-compatible entry sends it itself, without the SDK's per-request bookkeeping (openai-request.ts)
  if (isReusing(client)) return client.sendChat(body, stream, signal);
  const p = client.post<unknown>("/chat/completions", { body, stream, ...cancelledBy(signal) } as Parameters<SdkClient["post"]>[1]);
  return stream ? p.asResponse() : p;
}

function isReusing(client: SdkClient): client is ReusingClient {
  return typeof (client as unknown as Partial<ReusingClient>).sendChat === "function";
}

export class OpenAiCompatibleClient implements ProviderClient {
  private readonly clients = new SdkClientCache<SdkClient>();
  private readonly transport: FetchLike;

  /** `transport` carries the calls of entries without a proxy (benches and tests swap it) */
  constructor(transport: FetchLike = leanFetch) {
    this.transport = transport;
  }

  private client(target: CallTarget): Promise<SdkClient> {
    return this.clients.get(target, () => this.create(target));
  }

  private async create(target: CallTarget): Promise<SdkClient> {
    const e = target.entry;
    const mod = await loadSdk();
    // the SDK asks `instanceof Headers` of the lean fetch's answers
    answerHeadersAreHeaders();
    const common = {
      apiKey: target.apiKey ?? "none",
      maxRetries: 0,
      timeout: e.requestTimeoutMs,
      // the proxy's fetch (undici) knows one signal: oneSignal folds the caller's cancel into it
      fetch: (e.proxy?.trim() ? oneSignal(fetchVia(e.proxy)) : this.transport) as never,
      ...(e.customHeaders ? { defaultHeaders: e.customHeaders } : {}),
    };
    let client: SdkClient;
    if (e.protocol === "azure") {
      const { endpoint, deployment } = azureParts(e.apiBase, e.modelId);
      client = new mod.AzureOpenAI({ ...common, endpoint, deployment, apiVersion: e.apiVersion ?? DEFAULT_AZURE_API_VERSION }) as unknown as SdkClient;
    } else {
      if (!e.apiBase) throw new ProviderError("format", `${e.modelName}: no api_base is configured for ${e.model} (set model_list[].api_base)`);
      // the URL and headers of its chat-completions POSTs are built once (openai-request.ts)
      client = new (reusingClientClass(mod.OpenAI))({ ...common, baseURL: e.apiBase });
    }
    return client;
  }

  async chat(target: CallTarget, req: ChatRequest): Promise<ChatResult> {
    const client = await this.client(target);
    let json: unknown;
    try {
      json = await post(client, openAiBody(target.entry, req, false), false, req.signal);
    } catch (err) {
      throw sdkFailure(err, target, req.signal);
    }
    try {
      return parseCompletion(json);
    } catch (err) {
      throw new ProviderError("server_error", `malformed answer from ${target.entry.apiBase}: ${(err as Error).message}`, { cause: err });
    }
  }

  async *stream(target: CallTarget, req: ChatRequest): AsyncIterable<ChatDelta> {
    const client = await this.client(target);
    const asm = new StreamAssembler();
    const idle = new IdleTimer(target.entry.requestTimeoutMs, req.signal);
    let body: AsyncIterable<Uint8Array>;
    try {
      // the SDK sends the request and maps an HTTP error; the events are read here (sse.ts)
      const res = (await post(client, openAiBody(target.entry, req, true), true, idle.signal)) as Response;
      if (!res.body) throw new ProviderError("server_error", `${target.entry.apiBase} answered the stream with no body`);
      body = res.body as unknown as AsyncIterable<Uint8Array>;
    } catch (err) {
      idle.stop();
      if (err instanceof ProviderError) throw err;
      if (idle.fired) throw requestTimedOut(target, false, err);
      throw sdkFailure(err, target, req.signal);
    }
    try {
      for await (const ev of sseEvents(body)) {
        idle.touch();
        if (ev.data === "[DONE]") break;
        const d = asm.feed(streamChunk(ev));
        if (d.text) yield { type: "text", text: d.text };
        for (const c of d.calls) yield { type: "tool_call", ...c };
      }
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      if (idle.fired) throw requestTimedOut(target, true, err);
      const pe = sdkFailure(err, target, req.signal);
      // a stream that breaks after it started is a network failure, whatever the SDK called it
      throw pe.reason === "aborted" ? pe : new ProviderError("network", `stream interrupted: ${pe.message}`, { cause: err });
    } finally {
      idle.stop(); // also when the consumer stops reading early
    }
    // the SDKs end a stream quietly when its signal aborts: say why it ended
    if (idle.fired) throw requestTimedOut(target, true);
    if (req.signal?.aborted) throw new ProviderError("aborted", "the request was cancelled");
    yield { type: "done", result: asm.result() };
  }
}

/** One event of a chat-completions stream as JSON; an error event (some servers send one mid-stream) ends the stream. */
function streamChunk(ev: SseEvent): unknown {
  let data: { error?: { message?: string } | string };
  try {
    data = JSON.parse(ev.data) as typeof data;
  } catch {
    throw new SyntaxError("malformed server-sent event JSON");
  }
  if (ev.event === "error" || (data && typeof data === "object" && data.error)) {
    const e = data?.error ?? data;
    const message = typeof e === "string" ? e : ((e as { message?: string })?.message ?? JSON.stringify(e).slice(0, 300));
    throw new Error(`the server sent an error event: ${message}`);
  }
  return data;
}
