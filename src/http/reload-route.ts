// POST /reload: asks the gateway to reload its config file now, behind the
// same bearer token as the API. Answers the outcome as JSON: 200 when the new
// config applied (or nothing changed), 422 when it was refused (the running
// config keeps serving; `reason` names each key path and its fix).
import type { FastifyInstance } from "fastify";
import type { ReloadOutcome } from "../gateway/reload.ts";
import type { RouteHook } from "./host-check.ts";

export type ReloadRunner = () => Promise<ReloadOutcome>;

export function registerReloadRoute(app: FastifyInstance, reload: ReloadRunner, auth: RouteHook): void {
  app.post("/reload", { preHandler: auth }, async (_req, reply) => {
    const outcome = await reload();
    return reply.code(outcome.result === "refused" ? 422 : 200).send(outcome);
  });
}
