// Live updates for the control page as Server-Sent Events: "state" when
// anything shown changed (the page then asks for /ui/api/state once), "log"
// for each new log line. Bursts of changes are folded into one "state" event
// per quarter second; a comment line every 25 s keeps proxies from closing an
// idle stream. The browser reconnects by itself (EventSource).
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ControlSurface } from "./surface.ts";

const FOLD_MS = 250;
const KEEPALIVE_MS = 25_000;

type Guarded = (handler: (req: FastifyRequest, reply: FastifyReply) => unknown) => (req: FastifyRequest, reply: FastifyReply) => unknown;

export function registerEvents(app: FastifyInstance, read: Guarded, surface: () => ControlSurface): void {
  app.get(
    "/ui/api/events",
    read(async (req, reply) => {
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" });
      raw.write("retry: 2000\n\n");
      let pending: NodeJS.Timeout | undefined;
      const send = (event: string, data: unknown) => raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      const unsubscribe = surface().subscribe((e) => {
        if (e.kind === "log") return void send("log", e.line);
        pending ??= setTimeout(() => {
          pending = undefined;
          send("state", {});
        }, FOLD_MS);
      });
      const keepAlive = setInterval(() => raw.write(": keep-alive\n\n"), KEEPALIVE_MS);
      keepAlive.unref();
      // the response closes when the browser goes away (the request itself "closes" as soon as it is read)
      raw.on("close", () => {
        unsubscribe();
        clearInterval(keepAlive);
        if (pending) clearTimeout(pending);
      });
    }),
  );
}
