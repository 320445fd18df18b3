// Anthropic's native /v1/messages (the `anthropic-messages/` prefix) through
// the official @anthropic-ai/sdk, loaded on first use, retries off.
import type { ChatDelta, ChatMessage, ChatRequest, ChatResult, FinishReason, ToolCall } from "../../core/chat.ts";
import { answerHeadersAreHeaders, leanFetch } from "../../net/lean-fetch.ts";
import { fetchVia } from "../../net/proxy.ts";
import { classifyHttp } from "../failure.ts";
import { ProviderError, type CallTarget, type ProviderClient } from "../types.ts";
import { requestTimedOut, SdkClientCache, sdkFailure } from "./sdk-common.ts";
import { IdleTimer } from "./idle-timer.ts";
import { sseEvents, type SseEvent } from "./sse.ts";

type AnthropicModule = typeof import("@anthropic-ai/sdk");
type SdkClient = InstanceType<AnthropicModule["default"]>;
type Json = Record<string, unknown>;

let sdk: Promise<AnthropicModule> | undefined;
const loadSdk = () => (sdk ??= import("@anthropic-ai/sdk"));
/** loads the SDK ahead of the first call (the gateway does once it is ready), so no reply waits for it */
export const preloadSdk = (): Promise<unknown> => loadSdk();

export const DEFAULT_ANTHROPIC_MAX_TOKENS = 4096;

function blocks(m: ChatMessage): Json[] {
  const out: Json[] = [];
  const parts = typeof m.content === "string" ? (m.content ? [{ type: "text" as const, text: m.content }] : []) : m.content;
  for (const p of parts) {
    if (p.type === "text") out.push({ type: "text", text: p.text });
    else if (p.type === "image") {
      out.push(p.url && !p.data ? { type: "image", source: { type: "url", url: p.url } } : { type: "image", source: { type: "base64", media_type: p.mimeType, data: p.data ?? "" } });
    }
  }
  return out;
}

/** Our history to Anthropic's: system split out, tool results as user tool_result blocks, same roles merged. */
export function toAnthropic(messages: ChatMessage[]): { system?: string; messages: Json[] } {
  const system = messages.filter((m) => m.role === "system").map((m) => (typeof m.content === "string" ? m.content : blocks(m).map((b) => b.text).join("\n")));
  const out: { role: "user" | "assistant"; content: Json[] }[] = [];
  const push = (role: "user" | "assistant", content: Json[]) => {
    const last = out[out.length - 1];
    if (last && last.role === role) last.content.push(...content);
    else out.push({ role, content });
  };
  for (const m of messages) {
    if (m.role === "system") continue;
    if (m.role === "tool") {
      push("user", [{ type: "tool_result", tool_use_id: m.toolCallId ?? "", content: typeof m.content === "string" ? m.content : blocks(m) }]);
    } else if (m.role === "assistant") {
      const content = blocks(m);
      for (const c of m.toolCalls ?? []) {
        let input: unknown = {};
        try {
          input = JSON.parse(c.arguments || "{}");
        } catch {
          input = {};
        }
        content.push({ type: "tool_use", id: c.id, name: c.name, input });
      }
      if (content.length) push("assistant", content);
    } else push("user", blocks(m).length ? blocks(m) : [{ type: "text", text: " " }]);
  }
  return { ...(system.length ? { system: system.join("\n\n") } : {}), messages: out };
}

function stopReason(raw: unknown): FinishReason {
  if (raw === "end_turn" || raw === "stop_sequence") return "stop";
  if (raw === "max_tokens") return "length";
  if (raw === "tool_use") return "tool_calls";
  if (raw === "refusal") return "content_filter";
  return "other";
}

export class AnthropicClient implements ProviderClient {
  private readonly clients = new SdkClientCache<SdkClient>();

  private client(target: CallTarget): Promise<SdkClient> {
    return this.clients.get(target, () => this.create(target));
  }

  private async create(target: CallTarget): Promise<SdkClient> {
    const e = target.entry;
    const mod = await loadSdk();
    // the SDK asks `instanceof Headers` of the lean fetch's answers
    answerHeadersAreHeaders();
    return new mod.default({
      // the documented x-api-key header, which Anthropic-compatible proxies expect too
      apiKey: null,
      authToken: null,
      baseURL: e.apiBase.replace(/\/v1$/, ""),
      maxRetries: 0,
      timeout: e.requestTimeoutMs,
      fetch: (e.proxy?.trim() ? fetchVia(e.proxy) : leanFetch) as never,
      defaultHeaders: { ...(target.apiKey ? { "x-api-key": target.apiKey } : {}), ...(e.customHeaders ?? {}) },
    });
  }

  private body(target: CallTarget, req: ChatRequest, stream: boolean): Json {
    const { system, messages } = toAnthropic(req.messages);
    return {
      model: target.entry.modelId,
      max_tokens: req.maxTokens ?? target.entry.maxTokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS,
      messages,
      ...(system ? { system } : {}),
      ...(req.temperature !== undefined ? { temperature: Math.min(1, req.temperature) } : {}),
      ...(req.tools?.length ? { tools: req.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters })) } : {}),
      ...(stream ? { stream: true } : {}),
      ...(target.entry.extraBody ?? {}),
    };
  }

  async chat(target: CallTarget, req: ChatRequest): Promise<ChatResult> {
    const client = await this.client(target);
    let msg: { content?: Json[]; stop_reason?: string; usage?: { input_tokens?: number; output_tokens?: number }; model?: string };
    try {
      msg = (await client.messages.create(this.body(target, req, false) as never, req.signal ? { signal: req.signal } : {})) as never;
    } catch (err) {
      throw sdkFailure(err, target, req.signal);
    }
    if (!msg || !Array.isArray(msg.content)) throw new ProviderError("server_error", "malformed answer: no content blocks");
    const text = msg.content.filter((b) => b.type === "text").map((b) => String(b.text ?? "")).join("");
    const toolCalls: ToolCall[] = msg.content.filter((b) => b.type === "tool_use").map((b) => ({ id: String(b.id), name: String(b.name), arguments: JSON.stringify(b.input ?? {}) }));
    const inTok = msg.usage?.input_tokens ?? 0;
    const outTok = msg.usage?.output_tokens ?? 0;
    return {
      content: text,
      toolCalls,
      finishReason: toolCalls.length ? "tool_calls" : stopReason(msg.stop_reason),
      ...(msg.usage ? { usage: { promptTokens: inTok, completionTokens: outTok, totalTokens: inTok + outTok } } : {}),
      ...(msg.model ? { model: msg.model } : {}),
    };
  }

  async *stream(target: CallTarget, req: ChatRequest): AsyncIterable<ChatDelta> {
    const client = await this.client(target);
    const idle = new IdleTimer(target.entry.requestTimeoutMs, req.signal);
    let body: AsyncIterable<Uint8Array>;
    try {
      // the SDK sends the request and maps an HTTP error; the events are read here (sse.ts)
      const res = await client.messages.create(this.body(target, req, true) as never, { signal: idle.signal }).asResponse();
      if (!res.body) throw new ProviderError("server_error", `${target.entry.apiBase} answered the stream with no body`);
      body = res.body as unknown as AsyncIterable<Uint8Array>;
    } catch (err) {
      idle.stop();
      throw err instanceof ProviderError ? err : sdkFailure(err, target, req.signal);
    }
    let text = "";
    let finish: FinishReason = "other";
    let inTok = 0;
    let outTok = 0;
    let model: string | undefined;
    const calls: { id: string; name: string; json: string }[] = [];
    const indexOf = new Map<number, number>();
    try {
      for await (const sse of sseEvents(body)) {
        idle.touch();
        const ev = anthropicEvent(sse);
        if (!ev) continue;
        if (ev.type === "message_start") {
          const m = ev.message as { model?: string; usage?: { input_tokens?: number } };
          model = m.model;
          inTok = m.usage?.input_tokens ?? 0;
        } else if (ev.type === "content_block_start") {
          const b = ev.content_block as { type: string; id?: string; name?: string };
          if (b.type === "tool_use") {
            indexOf.set(ev.index as number, calls.length);
            calls.push({ id: b.id ?? "", name: b.name ?? "", json: "" });
            yield { type: "tool_call", index: calls.length - 1, ...(b.id ? { id: b.id } : {}), ...(b.name ? { name: b.name } : {}) };
          }
        } else if (ev.type === "content_block_delta") {
          const d = ev.delta as { type: string; text?: string; partial_json?: string };
          if (d.type === "text_delta" && d.text) {
            text += d.text;
            yield { type: "text", text: d.text };
          } else if (d.type === "input_json_delta" && d.partial_json) {
            const i = indexOf.get(ev.index as number);
            if (i !== undefined) {
              calls[i]!.json += d.partial_json;
              yield { type: "tool_call", index: i, argumentsDelta: d.partial_json };
            }
          }
        } else if (ev.type === "message_delta") {
          const d = ev.delta as { stop_reason?: string };
          if (d.stop_reason) finish = stopReason(d.stop_reason);
          outTok = (ev.usage as { output_tokens?: number } | undefined)?.output_tokens ?? outTok;
        } else if (ev.type === "error") {
          const e = ev.error as { type?: string; message?: string };
          throw classifyHttp(e?.type === "overloaded_error" ? 529 : 500, { error: e }, undefined, [target.apiKey]);
        }
      }
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      if (idle.fired) throw requestTimedOut(target, true, err);
      const pe = sdkFailure(err, target, req.signal);
      throw pe.reason === "aborted" ? pe : new ProviderError("network", `stream interrupted: ${pe.message}`, { cause: err });
    } finally {
      idle.stop(); // also when the consumer stops reading early
    }
    // the SDKs end a stream quietly when its signal aborts: say why it ended
    if (idle.fired) throw requestTimedOut(target, true);
    if (req.signal?.aborted) throw new ProviderError("aborted", "the request was cancelled");
    const toolCalls = calls.map((c) => ({ id: c.id, name: c.name, arguments: c.json || "{}" }));
    yield {
      type: "done",
      result: {
        content: text,
        toolCalls,
        finishReason: toolCalls.length ? "tool_calls" : finish,
        usage: { promptTokens: inTok, completionTokens: outTok, totalTokens: inTok + outTok },
        ...(model ? { model } : {}),
      },
    };
  }
}

/** One event of a Messages stream as JSON, as the SDK reads them: unnamed events and pings are skipped. */
function anthropicEvent(sse: SseEvent): Json | undefined {
  if (!sse.event || sse.event === "ping" || (!sse.data && sse.event !== "error")) return undefined;
  try {
    return JSON.parse(sse.data) as Json;
  } catch {
    if (sse.event === "error") return { type: "error", error: { message: sse.data.slice(0, 300) } };
    throw new SyntaxError("malformed server-sent event JSON");
  }
}
