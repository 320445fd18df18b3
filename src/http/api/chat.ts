// POST /v1/chat/completions: one agent turn over the caller's conversation.
//
// Sessions: stateless by default: the request's messages are the whole
// conversation and nothing is kept. A caller that names a session (header
// x-switchboard-session, or `user` when gateway.api.user_sessions is on)
// gets a persistent one: its stored history goes first, the request's
// messages and the answer are saved after. There is no shared default.
//
// Streaming (`stream: true`): text deltas are sent as the model writes them;
// the SSE headers go out with the first delta, so a turn that fails before
// it still gets a proper HTTP status. A client that disconnects aborts the turn.
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Agent, TurnResult } from "../../agent/agent.ts";
import type { Usage } from "../../core/chat.ts";
import type { Logger } from "../../core/logger.ts";
import type { ModelDirectory } from "../../providers/types.ts";
import type { RouterSnapshot } from "../../providers/router/types.ts";
import type { RouteHook } from "../host-check.ts";
import { mapTurnError, routerRetryAfterMs, sendApiError, type MappedError } from "./errors.ts";
import { mediaMarkdown } from "./media.ts";
import { chatCompletionBody, describeIssue, toConversation, type ChatCompletionBody } from "./messages.ts";
import { DEFAULT_MODEL_NAME, modelNotFound, resolveApiModel } from "./models.ts";
import { errorMessage } from "../../core/errors.ts";

export const SESSION_HEADER = "x-switchboard-session";

/** What the API needs of the running gateway; read per request, so a reload's new runtime serves the next one. */
export interface ApiRuntime {
  agent: Pick<Agent, "runConversation">;
  directory: ModelDirectory;
  primary?: string | undefined;
  /** gateway.api.user_sessions: the `user` field names a persistent session */
  userSessions?: boolean;
  /** for Retry-After when every model is cooling down */
  router?: { snapshot(): RouterSnapshot };
}

type SessionChoice = { id?: string } | { error: string; param: string };

function sessionOf(req: FastifyRequest, body: ChatCompletionBody, userSessions: boolean): SessionChoice {
  const header = req.headers[SESSION_HEADER];
  if (header !== undefined) {
    const id = (Array.isArray(header) ? header[0] : header)?.trim() ?? "";
    if (!id || id.length > 200 || /[\u0000-\u001f]/.test(id)) {
      return { error: `invalid request: header ${SESSION_HEADER} must be 1-200 printable characters`, param: SESSION_HEADER };
    }
    return { id };
  }
  return userSessions && body.user?.trim() ? { id: body.user.trim() } : {};
}

function usageOf(u: Usage | undefined) {
  return { prompt_tokens: u?.promptTokens ?? 0, completion_tokens: u?.completionTokens ?? 0, total_tokens: u?.totalTokens ?? 0 };
}

function finishReason(r: TurnResult): "stop" | "length" {
  return r.limitHit ? "length" : "stop";
}

export function registerChat(app: FastifyInstance, runtime: () => ApiRuntime, requireToken: RouteHook, logger: Logger): void {
  app.post("/v1/chat/completions", { preHandler: requireToken }, async (req, reply) => {
    const parsed = chatCompletionBody.safeParse(req.body);
    if (!parsed.success) {
      const { message, param } = describeIssue(parsed.error);
      return sendApiError(reply, 400, { message, type: "invalid_request_error", param, code: "invalid_request" });
    }
    const body = parsed.data;
    const rt = runtime();
    const conv = toConversation(body.messages);
    if (!conv.messages.some((m) => m.role === "user")) {
      return sendApiError(reply, 400, { message: "invalid request: messages: needs at least one user message", type: "invalid_request_error", param: "messages", code: "invalid_request" });
    }
    const model = resolveApiModel(rt.directory, body.model);
    if (model === null) return sendApiError(reply, 404, modelNotFound(body.model!));
    const session = sessionOf(req, body, rt.userSessions === true);
    if ("error" in session) return sendApiError(reply, 400, { message: session.error, type: "invalid_request_error", param: session.param, code: "invalid_request" });

    const abort = new AbortController();
    reply.raw.on("close", () => {
      if (!reply.raw.writableFinished) abort.abort();
    });
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const modelName = model ?? rt.primary ?? DEFAULT_MODEL_NAME;
    const turn = (onDelta?: (text: string) => void) =>
      rt.agent.runConversation({
        origin: session.id
          ? { sessionKey: `api:${session.id}`, channel: "api", chatId: session.id }
          : { sessionKey: `api:stateless:${id}`, channel: "api", chatId: id },
        messages: conv.messages,
        ...(conv.system ? { system: conv.system } : {}),
        ...(model ? { model } : {}),
        signal: abort.signal,
        persist: session.id !== undefined,
        ...(onDelta ? { onDelta } : {}),
      });
    const failure = (err: unknown): MappedError => {
      const mapped = mapTurnError(err, () => (rt.router ? routerRetryAfterMs(rt.router.snapshot(), err) : undefined));
      if (mapped) return mapped;
      logger.error({ err: errorMessage(err) }, "API turn failed");
      return { status: 500, error: { message: "internal error: the turn failed; the gateway log says why", type: "server_error", code: "internal_error" } };
    };

    if (!body.stream) {
      let result: TurnResult;
      try {
        result = await turn();
      } catch (err) {
        if (abort.signal.aborted) return reply; // the caller is gone
        const f = failure(err);
        return sendApiError(reply, f.status, f.error, f.retryAfterS);
      }
      const media = mediaMarkdown(result.media);
      return {
        id,
        object: "chat.completion",
        created,
        model: modelName,
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: [result.text, media].filter(Boolean).join("\n\n"), refusal: null },
            finish_reason: finishReason(result),
            logprobs: null,
          },
        ],
        usage: usageOf(result.usage),
      };
    }
    return streamTurn(reply, { id, created, model: modelName, includeUsage: body.stream_options?.include_usage === true }, turn, failure);
  });
}

interface StreamMeta {
  id: string;
  created: number;
  model: string;
  includeUsage: boolean;
}

async function streamTurn(
  reply: FastifyReply,
  meta: StreamMeta,
  turn: (onDelta: (text: string) => void) => Promise<TurnResult>,
  failure: (err: unknown) => MappedError,
): Promise<FastifyReply> {
  const raw = reply.raw;
  const base = { id: meta.id, object: "chat.completion.chunk", created: meta.created, model: meta.model };
  const extra = meta.includeUsage ? { usage: null } : {};
  const event = (data: unknown) => void raw.write(`data: ${JSON.stringify(data)}\n\n`);
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    event({ ...base, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }], ...extra });
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    reply.hijack(); // from here on the answer is written by hand; headers set by hooks (CORS) are kept
    // x-accel-buffering: a reverse proxy (nginx) passes each delta on instead of buffering the stream
    raw.writeHead(200, { ...reply.getHeaders(), "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" } as never);
    chunk({ role: "assistant", content: "" });
  };
  try {
    const result = await turn((text) => {
      start();
      chunk({ content: text });
    });
    start();
    const media = mediaMarkdown(result.media);
    if (media) chunk({ content: `${result.text ? "\n\n" : ""}${media}` });
    chunk({}, finishReason(result));
    if (meta.includeUsage) event({ ...base, choices: [], usage: usageOf(result.usage) });
  } catch (err) {
    if (raw.destroyed) return reply; // the caller is gone; the turn was aborted for them
    const f = failure(err);
    if (!started) return sendApiError(reply, f.status, f.error, f.retryAfterS);
    // mid-stream: OpenAI's SDKs raise an error event as an APIError
    event({ error: { message: f.error.message, type: f.error.type, param: null, code: f.error.code ?? null } });
  }
  raw.end("data: [DONE]\n\n");
  return reply;
}
