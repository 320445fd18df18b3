// The OpenAI-compatible API in front of the agent: GET /v1/models and
// POST /v1/chat/completions (src/http/api/*). Any OpenAI client can talk to
// Switchboard; the routes need the bearer token when gateway.token is set.
import type { FastifyInstance } from "fastify";
import type { Logger } from "../core/logger.ts";
import { registerChat, type ApiRuntime } from "./api/chat.ts";
import { registerModels } from "./api/models.ts";
import type { RouteHook } from "./host-check.ts";

export { SESSION_HEADER, type ApiRuntime } from "./api/chat.ts";

export function registerOpenAiApi(app: FastifyInstance, runtime: () => ApiRuntime, requireToken: RouteHook, logger: Logger): void {
  registerModels(app, () => runtime().directory, requireToken);
  registerChat(app, runtime, requireToken, logger);
}
