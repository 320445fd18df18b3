// The channels' webhook routes. Each route is mounted once for the life of
// the server and looks up the LIVE adapter on every request, so a channel
// restarted by a reload (a new adapter object) serves the next call, and a
// channel that is not running answers 503 with the reason instead of a
// stale adapter's answer. Bodies reach the adapter as the raw bytes the
// platform sent (and signed): no JSON parse and re-serialise on the way.
import type { FastifyInstance } from "fastify";
import type { ChannelAdapter } from "../core/channel.ts";
import type { Logger } from "../core/logger.ts";
import { OPEN_ROUTE } from "./host-check.ts";
import { errorMessage } from "../core/errors.ts";

export interface WebhookMount {
  /** every channel with a webhook route, e.g. { id: "telegram", path: "/webhook/telegram" } */
  routes: readonly { id: string; path: string }[];
  /** the channel's running adapter, or undefined when it is not running */
  live: (id: string) => ChannelAdapter | undefined;
}

const TEXT = "text/plain; charset=utf-8";

export async function registerWebhooks(app: FastifyInstance, mount: WebhookMount, logger: Logger): Promise<void> {
  await app.register(async (scope) => {
    // only inside this scope: every content type arrives as the raw Buffer
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
    for (const { id, path } of mount.routes) {
      // platforms call under the gateway's public name: no Host check; each adapter checks its platform's secret
      scope.post(path, { config: OPEN_ROUTE }, async (req, reply) => {
        const adapter = mount.live(id);
        if (!adapter?.handleWebhook) {
          return reply
            .code(503)
            .type(TEXT)
            .send(`channel ${id} is not running on this gateway (enable channels.${id} and use its webhook mode); deliver again later`);
        }
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        try {
          const res = await adapter.handleWebhook(req.headers, raw);
          if (res.headers) void reply.headers(res.headers);
          return reply.code(res.status).send(res.body ?? "");
        } catch (err) {
          logger.error({ channel: id, err: errorMessage(err) }, "webhook handler failed");
          return reply.code(500).type(TEXT).send("the gateway could not take this call; deliver again later");
        }
      });
    }
  });
}
