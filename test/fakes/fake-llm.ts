// A scriptable fake LLM server on 127.0.0.1 speaking the OpenAI
// chat-completions protocol (any path ending in /chat/completions, including
// Azure's /openai/deployments/<d>/chat/completions) and Anthropic's
// /v1/messages, in their real JSON and SSE shapes. Tests queue steps: a
// reply, tool calls, a stream, an HTTP error with the provider's own error
// body, a delay, a cut stream, a reset connection or a malformed body.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown>;
  protocol: "openai" | "anthropic";
}

export interface FakeToolCall {
  name: string;
  arguments: Record<string, unknown> | string;
  id?: string;
}

export interface Step {
  reply?: string;
  toolCalls?: FakeToolCall[];
  stream?: boolean;
  status?: number;
  /** overrides the error body for `status` */
  body?: unknown;
  headers?: Record<string, string>;
  /** wait before answering (timeouts) */
  delayMs?: number;
  /** wait until this settles before answering (e.g. until a second request has arrived) */
  holdUntil?: Promise<unknown>;
  /** streams: close the socket after this many events */
  cutStreamAfter?: number;
  /** streams: go silent (socket left open) after this many events */
  stallStreamAfter?: number;
  /** streams: wait this long between events (a slow model) */
  eventDelayMs?: number;
  /** streams: after this many events, wait until `open` settles before sending the rest */
  streamGate?: { after: number; open: Promise<unknown> };
  resetConnection?: boolean;
  malformed?: boolean;
  usage?: { prompt: number; completion: number };
}

export type StepFn = (req: RecordedRequest) => Step;

export interface FakeLlm {
  url: string;
  /** what /audio/transcriptions answers (whisper-style) */
  transcript: string;
  /** how many transcription requests arrived */
  transcriptions: number;
  port: number;
  requests: RecordedRequest[];
  script(...steps: (Step | StepFn)[]): void;
  setDefault(step: Step | StepFn): void;
  close(): Promise<void>;
}

const OPENAI_ERRORS: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: "invalid_request_error", code: null, message: "Invalid request." },
  401: { type: "invalid_request_error", code: "invalid_api_key", message: "Incorrect API key provided." },
  402: { type: "insufficient_quota", code: "insufficient_quota", message: "You exceeded your current quota, please check your plan and billing details." },
  404: { type: "invalid_request_error", code: "model_not_found", message: "The model `x` does not exist or you do not have access to it." },
  429: { type: "requests", code: "rate_limit_exceeded", message: "Rate limit reached for requests." },
  500: { type: "server_error", code: null, message: "The server had an error while processing your request." },
  503: { type: "server_error", code: null, message: "The engine is currently overloaded, please try again later." },
};

const ANTHROPIC_ERRORS: Record<number, { type: string; message: string }> = {
  400: { type: "invalid_request_error", message: "Invalid request." },
  401: { type: "authentication_error", message: "invalid x-api-key" },
  402: { type: "billing_error", message: "Your credit balance is too low." },
  404: { type: "not_found_error", message: "model: x" },
  429: { type: "rate_limit_error", message: "Number of requests has exceeded your rate limit." },
  500: { type: "api_error", message: "Internal server error" },
  529: { type: "overloaded_error", message: "Overloaded" },
};

function errorBody(protocol: RecordedRequest["protocol"], status: number): unknown {
  if (protocol === "anthropic") return { type: "error", error: ANTHROPIC_ERRORS[status] ?? { type: "api_error", message: `status ${status}` } };
  return { error: { ...(OPENAI_ERRORS[status] ?? { type: "server_error", code: null, message: `status ${status}` }), param: null } };
}

function argsText(a: FakeToolCall["arguments"]): string {
  return typeof a === "string" ? a : JSON.stringify(a);
}

function openAiEvents(step: Step, model: string): unknown[] {
  const base = { id: "chatcmpl-fake", object: "chat.completion.chunk", created: 0, model };
  const ev: unknown[] = [{ ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] }];
  const text = step.reply ?? "";
  for (let i = 0; i < text.length; i += 5) ev.push({ ...base, choices: [{ index: 0, delta: { content: text.slice(i, i + 5) }, finish_reason: null }] });
  (step.toolCalls ?? []).forEach((c, index) => {
    const args = argsText(c.arguments);
    ev.push({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index, id: c.id ?? `call_${index}`, type: "function", function: { name: c.name, arguments: "" } }] }, finish_reason: null }] });
    const half = Math.ceil(args.length / 2);
    for (const part of [args.slice(0, half), args.slice(half)]) {
      if (part) ev.push({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index, function: { arguments: part } }] }, finish_reason: null }] });
    }
  });
  ev.push({ ...base, choices: [{ index: 0, delta: {}, finish_reason: step.toolCalls?.length ? "tool_calls" : "stop" }] });
  const u = step.usage ?? { prompt: 10, completion: 5 };
  ev.push({ ...base, choices: [], usage: { prompt_tokens: u.prompt, completion_tokens: u.completion, total_tokens: u.prompt + u.completion } });
  return ev;
}

function anthropicEvents(step: Step, model: string): { event: string; data: unknown }[] {
  const u = step.usage ?? { prompt: 10, completion: 5 };
  const ev: { event: string; data: unknown }[] = [
    { event: "message_start", data: { type: "message_start", message: { id: "msg_fake", type: "message", role: "assistant", model, content: [], stop_reason: null, usage: { input_tokens: u.prompt, output_tokens: 0 } } } },
  ];
  let index = 0;
  if (step.reply) {
    ev.push({ event: "content_block_start", data: { type: "content_block_start", index, content_block: { type: "text", text: "" } } });
    for (let i = 0; i < step.reply.length; i += 5) ev.push({ event: "content_block_delta", data: { type: "content_block_delta", index, delta: { type: "text_delta", text: step.reply.slice(i, i + 5) } } });
    ev.push({ event: "content_block_stop", data: { type: "content_block_stop", index } });
    index++;
  }
  for (const c of step.toolCalls ?? []) {
    ev.push({ event: "content_block_start", data: { type: "content_block_start", index, content_block: { type: "tool_use", id: c.id ?? `toolu_${index}`, name: c.name, input: {} } } });
    ev.push({ event: "content_block_delta", data: { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: argsText(c.arguments) } } });
    ev.push({ event: "content_block_stop", data: { type: "content_block_stop", index } });
    index++;
  }
  ev.push({ event: "message_delta", data: { type: "message_delta", delta: { stop_reason: step.toolCalls?.length ? "tool_use" : "end_turn", stop_sequence: null }, usage: { output_tokens: u.completion } } });
  ev.push({ event: "message_stop", data: { type: "message_stop" } });
  return ev;
}

function completion(protocol: RecordedRequest["protocol"], step: Step, model: string): unknown {
  const u = step.usage ?? { prompt: 10, completion: 5 };
  if (protocol === "anthropic") {
    const content: unknown[] = [];
    if (step.reply) content.push({ type: "text", text: step.reply });
    (step.toolCalls ?? []).forEach((c, i) => content.push({ type: "tool_use", id: c.id ?? `toolu_${i}`, name: c.name, input: typeof c.arguments === "string" ? JSON.parse(c.arguments) : c.arguments }));
    return { id: "msg_fake", type: "message", role: "assistant", model, content, stop_reason: step.toolCalls?.length ? "tool_use" : "end_turn", stop_sequence: null, usage: { input_tokens: u.prompt, output_tokens: u.completion } };
  }
  const toolCalls = (step.toolCalls ?? []).map((c, i) => ({ id: c.id ?? `call_${i}`, type: "function", function: { name: c.name, arguments: argsText(c.arguments) } }));
  return {
    id: "chatcmpl-fake",
    object: "chat.completion",
    created: 0,
    model,
    choices: [{ index: 0, message: { role: "assistant", content: step.reply ?? (toolCalls.length ? null : ""), ...(toolCalls.length ? { tool_calls: toolCalls } : {}) }, finish_reason: toolCalls.length ? "tool_calls" : "stop" }],
    usage: { prompt_tokens: u.prompt, completion_tokens: u.completion, total_tokens: u.prompt + u.completion },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startFakeLlm(): Promise<FakeLlm> {
  const queue: (Step | StepFn)[] = [];
  let fallback: Step | StepFn = { reply: "ok" };
  const requests: RecordedRequest[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0]!;
    if (req.method === "POST" && path.endsWith("/audio/transcriptions")) {
      await readBody(req);
      fake.transcriptions++;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ text: fake.transcript }));
      return;
    }
    const protocol: RecordedRequest["protocol"] | undefined = path.endsWith("/chat/completions") ? "openai" : path.endsWith("/messages") ? "anthropic" : undefined;
    const text = await readBody(req);
    if (!protocol || req.method !== "POST") {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: `no route ${req.method} ${path}` } }));
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify(errorBody(protocol, 400)));
      return;
    }
    const recorded: RecordedRequest = { method: req.method, path, headers: req.headers, body, protocol };
    requests.push(recorded);
    const next = queue.shift() ?? fallback;
    const step = typeof next === "function" ? next(recorded) : next;
    if (step.delayMs) await new Promise((r) => setTimeout(r, step.delayMs));
    if (step.holdUntil) await step.holdUntil;
    if (step.resetConnection) {
      req.socket.destroy();
      return;
    }
    if (step.status && step.status >= 400) {
      res.writeHead(step.status, { "content-type": "application/json", ...(step.headers ?? {}) }).end(JSON.stringify(step.body ?? errorBody(protocol, step.status)));
      return;
    }
    if (step.malformed) {
      res.writeHead(200, { "content-type": "application/json" }).end('{"choices": [ {"message": ');
      return;
    }
    const model = String(body.model ?? "fake-model");
    if (body.stream === true) {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", ...(step.headers ?? {}) });
      const events = protocol === "anthropic" ? anthropicEvents(step, model).map((e) => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`) : [...openAiEvents(step, model).map((e) => `data: ${JSON.stringify(e)}\n\n`), "data: [DONE]\n\n"];
      for (let i = 0; i < events.length; i++) {
        if (step.stallStreamAfter !== undefined && i >= step.stallStreamAfter) return; // the socket stays open, nothing more comes
        if (step.cutStreamAfter !== undefined && i >= step.cutStreamAfter) {
          await new Promise((r) => setTimeout(r, 10));
          req.socket.destroy();
          return;
        }
        if (step.streamGate && i === step.streamGate.after) await step.streamGate.open;
        if (step.eventDelayMs && i > 0) await new Promise((r) => setTimeout(r, step.eventDelayMs));
        if (res.destroyed) return; // the client gave up (an aborted turn)
        res.write(events[i]);
      }
      res.end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json", ...(step.headers ?? {}) }).end(JSON.stringify(completion(protocol, step, model)));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const fake: FakeLlm = {
    transcript: "hello switchboard",
    transcriptions: 0,
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    script: (...steps) => void queue.push(...steps),
    setDefault: (step) => void (fallback = step),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}
