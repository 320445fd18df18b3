// The OpenAI chat-completions wire format: our messages to its JSON and its
// answers back. Shared by the OpenAI-compatible and Azure clients.
import type { ChatMessage, ChatRequest, ChatResult, FinishReason, ToolCall, ToolSpec, Usage } from "../../core/chat.ts";
import type { ModelEntry } from "../types.ts";

type Json = Record<string, unknown>;

function contentOf(m: ChatMessage): unknown {
  if (typeof m.content === "string") return m.content;
  return m.content.map((p) => {
    if (p.type === "text") return { type: "text", text: p.text };
    if (p.type === "image") return { type: "image_url", image_url: { url: p.url ?? `data:${p.mimeType};base64,${p.data ?? ""}` } };
    const format = p.mimeType.includes("wav") ? "wav" : p.mimeType.includes("mp3") || p.mimeType.includes("mpeg") ? "mp3" : p.mimeType.split("/")[1] ?? "wav";
    return { type: "input_audio", input_audio: { data: p.data, format } };
  });
}

export function toOpenAiMessages(messages: ChatMessage[]): Json[] {
  return messages.map((m) => {
    if (m.role === "tool") return { role: "tool", tool_call_id: m.toolCallId ?? "", content: typeof m.content === "string" ? m.content : contentOf(m) };
    if (m.role === "assistant" && m.toolCalls?.length) {
      return {
        role: "assistant",
        content: typeof m.content === "string" && m.content === "" ? null : contentOf(m),
        tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments || "{}" } })),
      };
    }
    return { role: m.role, content: contentOf(m) };
  });
}

// the same tools array (the registry's, until a tool comes or goes) gives the same wire array, so its JSON can be kept (body-json.ts)
const wireTools = new WeakMap<readonly ToolSpec[], Json[]>();

function openAiTools(tools: readonly ToolSpec[]): Json[] {
  let out = wireTools.get(tools);
  if (!out) {
    out = tools.map((t) => ({ type: "function", function: { name: t.name, description: t.description, parameters: t.parameters } }));
    wireTools.set(tools, out);
  }
  return out;
}

/** The request body for /chat/completions, with the entry's extra_body and max-tokens field. */
export function openAiBody(entry: ModelEntry, req: ChatRequest, stream: boolean): Json {
  const body: Json = { model: entry.modelId, messages: toOpenAiMessages(req.messages) };
  if (req.tools?.length) body.tools = openAiTools(req.tools);
  if (req.maxTokens !== undefined) body[entry.maxTokensField ?? "max_tokens"] = req.maxTokens;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return { ...body, ...(entry.extraBody ?? {}) };
}

export function finishReason(raw: unknown): FinishReason {
  switch (raw) {
    case "stop":
      return "stop";
    case "length":
      return "length";
    case "tool_calls":
    case "function_call":
      return "tool_calls";
    case "content_filter":
      return "content_filter";
    default:
      return "other";
  }
}

export function usageOf(raw: unknown): Usage | undefined {
  if (!raw || typeof raw !== "object") return undefined;
  const u = raw as { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number };
  if (u.prompt_tokens === undefined && u.completion_tokens === undefined) return undefined;
  const promptTokens = u.prompt_tokens ?? 0;
  const completionTokens = u.completion_tokens ?? 0;
  return { promptTokens, completionTokens, totalTokens: u.total_tokens ?? promptTokens + completionTokens };
}

/** A non-streaming /chat/completions answer; throws SyntaxError-like errors for garbage. */
export function parseCompletion(json: unknown): ChatResult {
  const j = json as { choices?: { message?: { content?: unknown; tool_calls?: unknown[] }; finish_reason?: unknown }[]; usage?: unknown; model?: string };
  const choice = j?.choices?.[0];
  if (!choice || typeof choice !== "object") throw new SyntaxError("the provider's answer has no choices");
  const msg = choice.message ?? {};
  const content = typeof msg.content === "string" ? msg.content : Array.isArray(msg.content) ? msg.content.map((p: { text?: string }) => p.text ?? "").join("") : "";
  const toolCalls: ToolCall[] = (msg.tool_calls ?? []).map((c, i) => {
    const call = c as { id?: string; function?: { name?: string; arguments?: string } };
    return { id: call.id ?? `call_${i}`, name: call.function?.name ?? "", arguments: call.function?.arguments ?? "{}" };
  });
  const usage = usageOf(j.usage);
  return {
    content,
    toolCalls,
    finishReason: toolCalls.length ? "tool_calls" : finishReason(choice.finish_reason),
    ...(usage ? { usage } : {}),
    ...(j.model ? { model: j.model } : {}),
  };
}

type CallDelta = { index: number; id?: string; name?: string; argumentsDelta?: string };
const NO_CALLS: readonly CallDelta[] = Object.freeze([]);
const NO_TOOL_CALLS: readonly never[] = Object.freeze([]);

/** Assembles streamed chunks; feed() returns the text and tool-call deltas of one chunk. */
export class StreamAssembler {
  private text = "";
  private readonly calls: { id: string; name: string; arguments: string }[] = [];
  private finish: FinishReason = "other";
  private usage: Usage | undefined;
  private model: string | undefined;

  feed(chunk: unknown): { text?: string; calls: readonly CallDelta[] } {
    const c = chunk as { choices?: { delta?: { content?: string | null; tool_calls?: { index?: number; id?: string; function?: { name?: string; arguments?: string } }[] }; finish_reason?: string | null }[]; usage?: unknown; model?: string };
    // most chunks carry text and no tool call: they share one empty list
    const out: { text?: string; calls: readonly CallDelta[] } = { calls: NO_CALLS };
    if (c.model) this.model = c.model;
    const u = usageOf(c.usage);
    if (u) this.usage = u;
    const choice = c.choices?.[0];
    if (!choice) return out;
    if (choice.finish_reason) this.finish = finishReason(choice.finish_reason);
    const d = choice.delta;
    if (d?.content) {
      this.text += d.content;
      out.text = d.content;
    }
    for (const tc of d?.tool_calls ?? NO_TOOL_CALLS) {
      const index = tc.index ?? 0;
      const slot = (this.calls[index] ??= { id: "", name: "", arguments: "" });
      if (tc.id) slot.id = tc.id;
      if (tc.function?.name) slot.name += tc.function.name;
      if (tc.function?.arguments) slot.arguments += tc.function.arguments;
      if (out.calls === NO_CALLS) out.calls = [];
      (out.calls as CallDelta[]).push({
        index,
        ...(tc.id ? { id: tc.id } : {}),
        ...(tc.function?.name ? { name: tc.function.name } : {}),
        ...(tc.function?.arguments ? { argumentsDelta: tc.function.arguments } : {}),
      });
    }
    return out;
  }

  result(): ChatResult {
    const toolCalls = this.calls.filter(Boolean).map((c, i) => ({ id: c.id || `call_${i}`, name: c.name, arguments: c.arguments || "{}" }));
    return {
      content: this.text,
      toolCalls,
      finishReason: toolCalls.length ? "tool_calls" : this.finish,
      ...(this.usage ? { usage: this.usage } : {}),
      ...(this.model ? { model: this.model } : {}),
    };
  }
}
