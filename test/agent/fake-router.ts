// A scripted, in-process ChatRouter: it records every request and answers
// from a script, one step per call (plain text, tool calls, an error, or a
// function of the request that may wait).
import type { ChatDelta, ChatRequest, ChatResult, ToolCall, Usage } from "../../src/core/chat.ts";
import type { Attempt, CallTarget, ChatRouter, ModelEntry, RouteOptions, Routed } from "../../src/providers/types.ts";

export type Step =
  | string
  | { text?: string; calls?: { name: string; arguments?: string | Record<string, unknown>; id?: string }[]; usage?: Partial<Usage> }
  | Error
  | ((req: ChatRequest) => Step | Promise<Step>);

export const FAKE_ENTRY: ModelEntry = {
  id: "fake#0",
  modelName: "fake",
  model: "openai/fake",
  vendor: "openai",
  protocol: "openai",
  modelId: "fake",
  apiBase: "http://127.0.0.1:9/v1",
  apiKeys: [],
  requestTimeoutMs: 1000,
  enabled: true,
  source: "model_list",
};

export interface Recorded {
  /** the request as sent, deep-copied, without its signal */
  req: Omit<ChatRequest, "signal">;
  opts: Omit<RouteOptions, "signal"> | undefined;
  signal: AbortSignal | undefined;
}

export class FakeRouter implements ChatRouter {
  readonly requests: Recorded[] = [];
  readonly script: Step[];
  /** answers once the script is used up; unset means "fail loudly" */
  otherwise: Step | undefined;
  /** usage reported when a step gives none */
  usage: Usage = { promptTokens: 100, completionTokens: 10, totalTokens: 110 };
  private callSeq = 0;

  constructor(script: Step[] = []) {
    this.script = [...script];
  }

  push(...steps: Step[]): this {
    this.script.push(...steps);
    return this;
  }

  /** the messages of request n (0-based) */
  messages(n: number): ChatRequest["messages"] {
    const r = this.requests[n];
    if (!r) throw new Error(`request ${n} was never made (${this.requests.length} made)`);
    return r.req.messages;
  }

  /** the system prompt of request n */
  system(n: number): string {
    const first = this.messages(n)[0];
    if (first?.role !== "system" || typeof first.content !== "string") throw new Error(`request ${n} has no system prompt`);
    return first.content;
  }

  async chat(req: ChatRequest, opts?: RouteOptions): Promise<ChatResult & { entry: ModelEntry; attempts: Attempt[] }> {
    const { signal, ...rest } = req;
    const { signal: _s, ...optsRest } = opts ?? {};
    this.requests.push({ req: structuredClone(rest), opts: opts ? optsRest : undefined, signal });
    let step = this.script.length ? this.script.shift()! : this.otherwise;
    if (step === undefined) throw new Error(`fake router: no scripted answer for request ${this.requests.length}`);
    while (typeof step === "function") step = await step(req);
    if (step instanceof Error) throw step;
    const attempt: Attempt = { entryId: FAKE_ENTRY.id, modelName: "fake", model: FAKE_ENTRY.model, keyIndex: 0, ok: true, latencyMs: 0, at: 0 };
    const spec = typeof step === "string" ? { text: step } : step;
    const toolCalls: ToolCall[] = (spec.calls ?? []).map((c) => ({
      id: c.id ?? `call_${++this.callSeq}`,
      name: c.name,
      arguments: typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments ?? {}),
    }));
    return {
      content: spec.text ?? "",
      toolCalls,
      finishReason: toolCalls.length ? "tool_calls" : "stop",
      usage: { ...this.usage, ...spec.usage },
      model: FAKE_ENTRY.modelId,
      entry: FAKE_ENTRY,
      attempts: [attempt],
    };
  }

  async *stream(): AsyncIterable<ChatDelta> {
    throw new Error("fake router: stream is not used by the agent");
  }

  async call<T>(_opts: RouteOptions, fn: (target: CallTarget, signal: AbortSignal) => Promise<T>): Promise<Routed<T>> {
    const target: CallTarget = { entry: FAKE_ENTRY, apiKey: undefined, keyIndex: 0 };
    return { value: await fn(target, new AbortController().signal), target, attempts: [] };
  }
}

/** A promise with its resolve handle, for tests that hold a step open. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
