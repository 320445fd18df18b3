// The body of POST /v1/chat/completions and its translation to the agent's
// messages. The request's messages ARE the conversation (OpenAI semantics):
// system and developer messages become the caller's instructions, placed
// after the workspace prompt; user, assistant and tool messages are the
// turn's history, content as a string or parts (text, image_url,
// input_audio). Sampling parameters are the gateway's (agents.defaults) and
// are accepted but not applied; client-defined tools are refused, since the
// agent runs its own.
import { z } from "zod";
import type { ChatMessage, ContentPart, ToolCall } from "../../core/chat.ts";

const textPart = z.strictObject({ type: z.literal("text"), text: z.string() });
const imagePart = z.strictObject({
  type: z.literal("image_url"),
  image_url: z.strictObject({
    url: z.string().regex(/^(data:image\/[\w.+-]+;base64,|https?:\/\/)/i, "must be a data:image/...;base64 URL or an http(s) URL"),
    detail: z.enum(["auto", "low", "high"]).optional(),
  }),
});
const audioPart = z.strictObject({
  type: z.literal("input_audio"),
  input_audio: z.strictObject({ data: z.string().min(1), format: z.enum(["wav", "mp3"]) }),
});
const userPart = z.discriminatedUnion("type", [textPart, imagePart, audioPart]);
const textContent = z.union([z.string(), z.array(textPart)]);

const toolCall = z.looseObject({
  id: z.string().min(1),
  type: z.literal("function"),
  function: z.looseObject({ name: z.string().min(1), arguments: z.string() }),
});

const message = z.discriminatedUnion("role", [
  z.looseObject({ role: z.literal("system"), content: textContent, name: z.string().optional() }),
  z.looseObject({ role: z.literal("developer"), content: textContent, name: z.string().optional() }),
  z.looseObject({ role: z.literal("user"), content: z.union([z.string(), z.array(userPart).min(1)]), name: z.string().optional() }),
  z.looseObject({
    role: z.literal("assistant"),
    content: textContent.nullish(),
    tool_calls: z.array(toolCall).optional(),
    name: z.string().optional(),
  }),
  z.looseObject({ role: z.literal("tool"), content: textContent, tool_call_id: z.string().min(1) }),
]);

export const chatCompletionBody = z.looseObject({
  model: z.string().optional(),
  messages: z.array(message).min(1, "must hold at least one message"),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  user: z.string().max(200).optional(),
  n: z.literal(1, "only n: 1 is supported").nullish(),
  tools: z.array(z.unknown()).max(0, "client-defined tools are not supported: the gateway's agent runs its own tools").nullish(),
  functions: z.array(z.unknown()).max(0, "client-defined functions are not supported: the gateway's agent runs its own tools").nullish(),
});

export type ChatCompletionBody = z.infer<typeof chatCompletionBody>;
type Message = z.infer<typeof message>;

export interface Conversation {
  /** the caller's system and developer messages, joined in order; "" when none */
  system: string;
  messages: ChatMessage[];
}

/** The first zod issue as "<field>: <problem>", with the field as OpenAI's `param`. */
export function describeIssue(error: z.ZodError): { message: string; param: string } {
  const issue = error.issues[0];
  const param = issue?.path.length ? issue.path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`)).join("") : "body";
  return { message: `invalid request: ${param}: ${issue?.message ?? "malformed body"}`, param };
}

function textOfParts(content: string | { text: string }[] | null | undefined): string {
  if (content == null) return "";
  return typeof content === "string" ? content : content.map((p) => p.text).join("\n");
}

function imageMime(url: string): string {
  const ext = /\.(png|jpe?g|gif|webp)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase();
  return ext === "png" ? "image/png" : ext === "gif" ? "image/gif" : ext === "webp" ? "image/webp" : "image/jpeg";
}

function userContent(content: Extract<Message, { role: "user" }>["content"]): string | ContentPart[] {
  if (typeof content === "string") return content;
  return content.map((p): ContentPart => {
    if (p.type === "text") return { type: "text", text: p.text };
    if (p.type === "input_audio") {
      return { type: "audio", mimeType: p.input_audio.format === "mp3" ? "audio/mpeg" : "audio/wav", data: p.input_audio.data };
    }
    const url = p.image_url.url;
    const data = /^data:(image\/[\w.+-]+);base64,(.*)$/is.exec(url);
    return data ? { type: "image", mimeType: data[1]!.toLowerCase(), data: data[2]! } : { type: "image", mimeType: imageMime(url), url };
  });
}

/** Splits the request's messages into the caller's instructions and the conversation. */
export function toConversation(messages: Message[]): Conversation {
  const system: string[] = [];
  const out: ChatMessage[] = [];
  for (const m of messages) {
    switch (m.role) {
      case "system":
      case "developer": {
        const text = textOfParts(m.content).trim();
        if (text) system.push(text);
        break;
      }
      case "user":
        out.push({ role: "user", content: userContent(m.content) });
        break;
      case "assistant": {
        const toolCalls: ToolCall[] = (m.tool_calls ?? []).map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments }));
        out.push({ role: "assistant", content: textOfParts(m.content), ...(toolCalls.length ? { toolCalls } : {}) });
        break;
      }
      case "tool":
        out.push({ role: "tool", content: textOfParts(m.content), toolCallId: m.tool_call_id });
        break;
    }
  }
  return { system: system.join("\n\n"), messages: out };
}
