// The gateway's real HTTP server with only the channels' webhook routes, for
// tests that post to a webhook the way a platform does.
import type { ChannelAdapter } from "../../src/core/channel.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { startHttpServer, type RunningHttpServer } from "../../src/http/server.ts";

export function serveWebhooks(routes: { id: string; path: string }[], live: (id: string) => ChannelAdapter | undefined): Promise<RunningHttpServer> {
  return startHttpServer({
    host: "127.0.0.1",
    port: 0,
    logger: silentLogger(),
    readiness: () => ({ ready: true, detail: {} }),
    status: () => ({}),
    metrics: () => "",
    webhooks: { routes, live },
  });
}
