// POST /v1/chat/completions: an OpenAI-compatible door to the agent, so any
// OpenAI client can talk to Switchboard. The last user message is the turn's
// input; the session is chosen by the `user` field (or the
// X-Switchboard-Session header), so history lives in Switchboard, not in the
// client. `stream: true` answers with server-sent events in OpenAI's chunk
// format.
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";

const contentPart = z.looseObject({ type: z.string(), text: z.string().optional() });
const message = z.looseObject({
  role: z.enum(["system", "user", "assistant", "tool", "developer"]),
  content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
});
export const chatCompletionBody = z.looseObject({
  model: z.string().optional(),
  messages: z.array(message).min(1, "messages must hold at least one message"),
  stream: z.boolean().optional(),
  user: z.string().max(200).optional(),
});

export interface ChatTurnRequest {
  sessionId: string;
  text: string;
  /** a model_name or vendor/model reference; "switchboard" or absent means the configured default */
  model?: string;
  signal: AbortSignal;
}

export type ChatTurnRunner = (req: ChatTurnRequest) => Promise<{ text: string; model: string }>;

function textOfContent(content: z.infer<typeof message>["content"]): string {
  if (typeof content === "string") return content;
  if (!content) return "";
  return content.map((p) => (p.type === "text" && p.text ? p.text : "")).join("\n");
}

function sendError(reply: FastifyReply, status: number, message: string, type: string) {
  return reply.code(status).send({ error: { message, type, param: null, code: null } });
}

export function registerChatCompletions(
  app: FastifyInstance,
  run: ChatTurnRunner,
  requireToken: (req: FastifyRequest, reply: FastifyReply) => Promise<void>,
): void {
  app.get("/v1/models", { preHandler: requireToken }, async () => ({
    object: "list",
    data: [{ id: "switchboard", object: "model", created: 0, owned_by: "switchboard" }],
  }));

  app.post("/v1/chat/completions", { preHandler: requireToken }, async (req, reply) => {
    const parsed = chatCompletionBody.safeParse(req.body);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const where = first?.path.length ? first.path.join(".") : "body";
      return sendError(reply, 400, `invalid request: ${where}: ${first?.message ?? "malformed"}`, "invalid_request_error");
    }
    const body = parsed.data;
    const lastUser = [...body.messages].reverse().find((m) => m.role === "user");
    const text = lastUser ? textOfContent(lastUser.content).trim() : "";
    if (!text) return sendError(reply, 400, "invalid request: messages needs a user message with text", "invalid_request_error");

    const header = req.headers["x-switchboard-session"];
    const sessionId = (typeof header === "string" && header) || body.user || "default";
    const abort = new AbortController();
    req.raw.on("close", () => {
      if (!reply.raw.writableEnded) abort.abort();
    });
    const model = body.model && body.model !== "switchboard" ? body.model : undefined;
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);

    if (!body.stream) {
      let result: { text: string; model: string };
      try {
        result = await run({ sessionId, text, ...(model ? { model } : {}), signal: abort.signal });
      } catch (err) {
        // router failures are one line without secrets; say them, as a gateway error
        return sendError(reply, 502, err instanceof Error ? err.message : String(err), "upstream_error");
      }
      return {
        id,
        object: "chat.completion",
        created,
        model: result.model,
        choices: [{ index: 0, message: { role: "assistant", content: result.text }, finish_reason: "stop" }],
      };
    }

    reply.raw.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const event = (data: unknown) => reply.raw.write(`data: ${JSON.stringify(data)}\n\n`);
    try {
      const result = await run({ sessionId, text, ...(model ? { model } : {}), signal: abort.signal });
      const base = { id, object: "chat.completion.chunk", created, model: result.model };
      event({ ...base, choices: [{ index: 0, delta: { role: "assistant", content: result.text }, finish_reason: null }] });
      event({ ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] });
    } catch (err) {
      event({ error: { message: err instanceof Error ? err.message : String(err), type: "server_error" } });
    }
    reply.raw.end("data: [DONE]\n\n");
    return reply;
  });
}
