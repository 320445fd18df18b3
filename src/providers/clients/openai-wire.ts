// The OpenAI Chat Completions wire format (also spoken by Azure OpenAI and
// most compatible servers): ChatRequest → request body, response body →
// ChatResult, and the assembly of streamed chunks. No I/O here.
import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { ChatDelta, ChatMessage, ChatRequest, ChatResult, ContentPart, FinishReason, ToolCall, Usage } from "../../core/chat.ts";
import { textOf } from "../../core/chat.ts";
import { classifyErrorBody, providerError, type ClassifyOptions } from "../classify.ts";
import type { ModelEntry } from "../types.ts";
import { mergeExtraBody } from "./common.ts";

/** Thrown by the mappers for a request this protocol cannot carry; the client turns it into a `format` error. */
export class UnsupportedRequest extends Error {}

const AUDIO_FORMATS: Record<string, string> = {
  "audio/wav": "wav",
  "audio/x-wav": "wav",
  "audio/wave": "wav",
  "audio/mpeg": "mp3",
  "audio/mp3": "mp3",
};

function part(p: ContentPart): Record<string, unknown> {
  switch (p.type) {
    case "text":
      return { type: "text", text: p.text };
    case "image": {
      const url = p.data ? `data:${p.mimeType};base64,${p.data}` : p.url;
      if (!url) throw new UnsupportedRequest("an image part has neither data nor url");
      return { type: "image_url", image_url: { url } };
    }
    case "audio":
      return {
        type: "input_audio",
        input_audio: { data: p.data, format: AUDIO_FORMATS[p.mimeType.toLowerCase()] ?? p.mimeType.replace(/^audio\//i, "") },
      };
  }
}

/** User content: a plain string when it is only text (what every compatible server accepts), parts otherwise. */
function userContent(content: string | ContentPart[]): unknown {
  if (typeof content === "string") return content;
  if (content.every((p) => p.type === "text")) return textOf(content);
  return content.map(part);
}

export function toOpenAiMessages(messages: readonly ChatMessage[]): Record<string, unknown>[] {
  return messages.map((m) => {
    switch (m.role) {
      case "system":
        return { role: "system", content: textOf(m.content) };
      case "user":
        return { role: "user", content: userContent(m.content) };
      case "assistant": {
        const text = textOf(m.content);
        const calls = m.toolCalls ?? [];
        return {
          role: "assistant",
          content: text === "" && calls.length ? null : text,
          ...(calls.length
            ? { tool_calls: calls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments || "{}" } })) }
            : {}),
        };
      }
      case "tool":
        if (!m.toolCallId) throw new UnsupportedRequest("a tool result message has no toolCallId (it must answer one tool call)");
        return { role: "tool", tool_call_id: m.toolCallId, content: textOf(m.content) };
    }
  });
}

/** The /chat/completions body for an entry: model id, messages, tools, the max-tokens field, extra_body. */
export function buildOpenAiBody(entry: ModelEntry, req: ChatRequest, stream: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { model: entry.modelId, messages: toOpenAiMessages(req.messages) };
  if (req.tools?.length) {
    body.tools = req.tools.map((t) => ({ type: "function", function: { name: t.name, description: t.description, parameters: t.parameters } }));
  }
  if (req.maxTokens !== undefined) body[entry.maxTokensField || "max_tokens"] = req.maxTokens;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return mergeExtraBody(body, entry.extraBody);
}

export function mapFinish(reason: string | null | undefined, hasToolCalls: boolean): FinishReason {
  if (hasToolCalls && (reason === "stop" || reason === "tool_calls" || reason === "function_call" || !reason)) return "tool_calls";
  switch (reason) {
    case "stop":
    case "end_turn":
      return "stop";
    case "length":
    case "max_tokens":
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

const newCallId = () => `call_${randomBytes(9).toString("hex")}`;

const Text = z.union([z.string(), z.array(z.looseObject({ type: z.string().optional(), text: z.string().optional() }))]).nullish();
const textOfWire = (t: z.infer<typeof Text>): string =>
  t == null ? "" : typeof t === "string" ? t : t.filter((p) => p.type === undefined || p.type === "text").map((p) => p.text ?? "").join("");
const Args = z.union([z.string(), z.record(z.string(), z.unknown())]).nullish();
const argsText = (a: z.infer<typeof Args>): string => (a == null ? "" : typeof a === "string" ? a : JSON.stringify(a));
const WireUsage = z.looseObject({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number().optional() }).nullish();

function usageOf(u: z.infer<typeof WireUsage>): Usage | undefined {
  if (!u) return undefined;
  return { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens, totalTokens: u.total_tokens ?? u.prompt_tokens + u.completion_tokens };
}

const Completion = z.looseObject({
  model: z.string().optional(),
  choices: z
    .array(
      z.looseObject({
        message: z.looseObject({
          content: Text,
          tool_calls: z.array(z.looseObject({ id: z.string().nullish(), function: z.looseObject({ name: z.string(), arguments: Args }) })).nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: WireUsage,
});

/** A ChatResult from a /chat/completions response body; throws ProviderError when the body is unusable. */
export function parseOpenAiCompletion(json: unknown, opts: ClassifyOptions): ChatResult {
  const parsed = Completion.safeParse(json);
  if (!parsed.success) {
    if (json && typeof json === "object" && "error" in json) throw classifyErrorBody(json, opts);
    throw providerError("server_error", `the provider answered 200 with an unexpected body (${parsed.error.issues[0]?.message ?? "invalid"})`, opts);
  }
  const choice = parsed.data.choices[0]!;
  const toolCalls: ToolCall[] = (choice.message.tool_calls ?? []).map((c) => ({
    id: c.id || newCallId(),
    name: c.function.name,
    arguments: argsText(c.function.arguments) || "{}",
  }));
  const usage = usageOf(parsed.data.usage);
  return {
    content: textOfWire(choice.message.content),
    toolCalls,
    finishReason: mapFinish(choice.finish_reason, toolCalls.length > 0),
    ...(usage ? { usage } : {}),
    ...(parsed.data.model ? { model: parsed.data.model } : {}),
  };
}

const Chunk = z.looseObject({
  model: z.string().nullish(),
  choices: z
    .array(
      z.looseObject({
        delta: z
          .looseObject({
            content: Text,
            tool_calls: z
              .array(
                z.looseObject({
                  index: z.number().int().nonnegative().nullish(),
                  id: z.string().nullish(),
                  function: z.looseObject({ name: z.string().nullish(), arguments: Args }).nullish(),
                }),
              )
              .nullish(),
          })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: WireUsage,
});

/** Assembles streamed chat.completion.chunk objects into deltas and a final ChatResult. */
export class OpenAiStreamState {
  private text = "";
  private readonly calls: { id: string; name: string; args: string }[] = [];
  private readonly byId = new Map<string, number>();
  private finish: string | undefined;
  private usage: Usage | undefined;
  private model: string | undefined;
  private readonly opts: ClassifyOptions;

  constructor(opts: ClassifyOptions) {
    this.opts = opts;
  }

  /** True once the provider sent a finish_reason. */
  get finished(): boolean {
    return this.finish !== undefined;
  }

  accept(raw: unknown): ChatDelta[] {
    const parsed = Chunk.safeParse(raw);
    if (!parsed.success) {
      if (raw && typeof raw === "object" && "error" in raw) throw classifyErrorBody(raw, this.opts);
      throw providerError("server_error", `the provider streamed an unexpected chunk (${parsed.error.issues[0]?.message ?? "invalid"})`, this.opts);
    }
    const c = parsed.data;
    if (c.model) this.model = c.model;
    const u = usageOf(c.usage);
    if (u) this.usage = u;
    const out: ChatDelta[] = [];
    const choice = c.choices?.[0];
    if (!choice) return out;
    const text = textOfWire(choice.delta?.content);
    if (text) {
      this.text += text;
      out.push({ type: "text", text });
    }
    for (const tc of choice.delta?.tool_calls ?? []) {
      const index = this.indexOf(tc.index ?? undefined, tc.id ?? undefined);
      const call = (this.calls[index] ??= { id: "", name: "", args: "" });
      const d: ChatDelta & { type: "tool_call" } = { type: "tool_call", index };
      if (tc.id && !call.id) call.id = d.id = tc.id;
      if (tc.function?.name && !call.name) call.name = d.name = tc.function.name;
      const args = argsText(tc.function?.arguments);
      if (args) {
        call.args += args;
        d.argumentsDelta = args;
      }
      out.push(d);
    }
    if (choice.finish_reason) this.finish = choice.finish_reason;
    return out;
  }

  private indexOf(index: number | undefined, id: string | undefined): number {
    if (index !== undefined) {
      if (id) this.byId.set(id, index);
      return index;
    }
    if (id) {
      const known = this.byId.get(id);
      if (known !== undefined) return known;
      this.byId.set(id, this.calls.length);
      return this.calls.length;
    }
    return Math.max(0, this.calls.length - 1);
  }

  result(): ChatResult {
    const toolCalls = this.calls
      .filter((c) => c !== undefined)
      .map((c) => ({ id: c.id || newCallId(), name: c.name, arguments: c.args || "{}" }));
    return {
      content: this.text,
      toolCalls,
      finishReason: mapFinish(this.finish, toolCalls.length > 0),
      ...(this.usage ? { usage: this.usage } : {}),
      ...(this.model ? { model: this.model } : {}),
    };
  }
}
