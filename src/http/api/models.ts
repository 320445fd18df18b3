// Which names the API accepts as `model`, and GET /v1/models listing them:
// "switchboard" (the configured primary with its fallbacks), every enabled
// model_name, and every alias from agents.defaults.models that resolves.
// Anything else is a 404 model_not_found: a direct vendor/model reference is
// not accepted from API callers, so they cannot reach models the config does
// not name on the gateway's credentials.
import type { FastifyInstance } from "fastify";
import type { ModelDirectory } from "../../providers/types.ts";
import type { RouteHook } from "../host-check.ts";
import { sendApiError } from "./errors.ts";

/** The name meaning "the configured primary"; also what an omitted `model` means. */
export const DEFAULT_MODEL_NAME = "switchboard";

export function apiModelNames(directory: ModelDirectory): string[] {
  const names = new Set<string>([DEFAULT_MODEL_NAME]);
  for (const e of directory.all()) if (e.enabled) names.add(e.modelName);
  const aliases = (directory as { aliases?: ReadonlyMap<string, string> }).aliases;
  for (const alias of aliases?.keys() ?? []) if (directory.lookup(alias).length) names.add(alias);
  return [...names];
}

/** The route's `model` for a requested name: undefined = the primary; null = not served. */
export function resolveApiModel(directory: ModelDirectory, requested: string | undefined): string | undefined | null {
  const name = requested?.trim();
  if (!name || name === DEFAULT_MODEL_NAME) return undefined;
  return apiModelNames(directory).includes(name) ? name : null;
}

export function modelNotFound(name: string) {
  return {
    message: `The model \`${name}\` does not exist on this gateway. GET /v1/models lists the names it serves: "${DEFAULT_MODEL_NAME}" (the configured primary), a model_name from model_list, or an alias.`,
    type: "invalid_request_error" as const,
    param: "model",
    code: "model_not_found",
  };
}

export function registerModels(app: FastifyInstance, directory: () => ModelDirectory, requireToken: RouteHook): void {
  const item = (id: string) => ({ id, object: "model", created: 0, owned_by: "switchboard" });
  app.get("/v1/models", { preHandler: requireToken }, async () => ({ object: "list", data: apiModelNames(directory()).map(item) }));
  // a wildcard, since model names may hold "/" ("anthropic/claude-opus-4-5")
  app.get<{ Params: { "*": string } }>("/v1/models/*", { preHandler: requireToken }, async (req, reply) => {
    const id = req.params["*"];
    if (!apiModelNames(directory()).includes(id)) return sendApiError(reply, 404, modelNotFound(id));
    return item(id);
  });
}
