// `switchboard gateway` (and `npm start`): the long-running daemon.
// SIGTERM/SIGINT stop it cleanly; SIGHUP reloads the config.
import type { Command } from "commander";
import { createLogger } from "../core/logger.ts";
import { resolvePaths } from "../config/paths.ts";
import { Daemon } from "../gateway/daemon.ts";
import { settleMemoryWhenQuiet } from "../gateway/settle-memory.ts";
import { LogTail } from "../ui/log-tail.ts";
import type { CliContext } from "./main.ts";
import { errorMessage } from "../core/errors.ts";

export function register(program: Command, ctx: CliContext): void {
  program
    .command("gateway")
    .description("run the gateway daemon: channels, HTTP API, cron and heartbeat")
    .option("--shutdown-timeout <seconds>", "how long running turns may finish on shutdown", "30")
    .option("--no-watch-config", "reload only on SIGHUP or `switchboard reload`, not when the config file changes")
    .action(async (flags: { shutdownTimeout: string; watchConfig: boolean }) => {
      // the control page's live log reads the same lines the log gets
      const logTail = new LogTail();
      const logger = createLogger({ env: ctx.io.env, tap: logTail.stream });
      const paths = resolvePaths(ctx.io.env, ctx.configPath);
      const daemon = new Daemon({ paths, logger, env: ctx.io.env, shutdownDeadlineMs: Math.max(1, Number(flags.shutdownTimeout) || 30) * 1000, logTail, watchConfig: flags.watchConfig });
      // Signals are handled from before start() on: a SIGTERM that arrives
      // while the gateway starts (or the moment it says "gateway started",
      // before this function resumes) stops it cleanly instead of killing it.
      let stopping = false;
      let reloadable = false;
      const stopped = new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          if (stopping) {
            logger.warn({ signal }, "second signal: exiting now");
            process.exit(1);
          }
          stopping = true;
          logger.info({ signal }, "stopping");
          void started.then(() => daemon.stop()).then(resolve, (err: unknown) => {
            logger.error({ err: errorMessage(err) }, "error while stopping");
            resolve();
          });
        };
        process.on("SIGTERM", () => stop("SIGTERM"));
        process.on("SIGINT", () => stop("SIGINT"));
        process.on("SIGHUP", () => (reloadable ? void daemon.reload("signal") : logger.info("SIGHUP while starting: the config being loaded is the newest")));
      });
      const started = daemon.start();
      await started;
      reloadable = true;
      // this process is the gateway's alone: it gives memory back when quiet (an in-process Daemon, as in tests, does not)
      const stopSettling = settleMemoryWhenQuiet({
        ready: () => daemon.readiness().ready,
        onSettled: (e) => logger.debug({ rssMb: mb(e.beforeBytes), afterMb: mb(e.afterBytes), cpuMs: Math.round(e.cpuMs) }, "memory given back after a quiet spell"),
      });
      await stopped;
      stopSettling();
    });
}

const mb = (bytes: number) => Math.round(bytes / 104857.6) / 10;
