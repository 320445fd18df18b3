// The provider-neutral shape of a conversation. Provider clients translate
// these to and from each wire protocol; nothing above the clients sees a
// vendor's JSON.

export type Role = "system" | "user" | "assistant" | "tool";

export type ContentPart =
  | { type: "text"; text: string }
  | { type: "image"; mimeType: string; data?: string; url?: string }
  | { type: "audio"; mimeType: string; data: string };

export interface ToolCall {
  id: string;
  name: string;
  /** Raw JSON text of the arguments, exactly as the model produced it. */
  arguments: string;
}

export interface ChatMessage {
  role: Role;
  content: string | ContentPart[];
  /** assistant turns that asked for tools */
  toolCalls?: ToolCall[];
  /** tool results answer one call */
  toolCallId?: string;
  /** tool results: the tool's name (some protocols want it) */
  name?: string;
}

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the arguments object */
  parameters: Record<string, unknown>;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "other";

export interface ChatRequest {
  messages: ChatMessage[];
  tools?: ToolSpec[];
  maxTokens?: number;
  temperature?: number;
  /** Cancels the request; the failure reason is then "aborted". */
  signal?: AbortSignal;
}

export interface ChatResult {
  content: string;
  toolCalls: ToolCall[];
  usage?: Usage;
  finishReason: FinishReason;
  /** the model id the provider says answered */
  model?: string;
}

export type ChatDelta =
  | { type: "text"; text: string }
  | { type: "tool_call"; index: number; id?: string; name?: string; argumentsDelta?: string }
  | { type: "done"; result: ChatResult };

/** Plain text of a message's content, parts joined. */
export function textOf(content: string | ContentPart[]): string {
  if (typeof content === "string") return content;
  return content
    .filter((p): p is { type: "text"; text: string } => p.type === "text")
    .map((p) => p.text)
    .join("\n");
}
