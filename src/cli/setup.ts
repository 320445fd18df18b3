// What most commands start with: the paths, the loaded config (warnings on
// stderr) and a logger that writes to stderr so stdout stays clean.
import { createLogger, type Logger } from "../core/logger.ts";
import { resolvePaths, type Paths } from "../config/paths.ts";
import { loadConfig, type LoadedConfig } from "../config/load.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";

export interface CommandSetup {
  paths: Paths;
  loaded: LoadedConfig;
  logger: Logger;
}

export function commandSetup(ctx: CliContext, opts: { quietWarnings?: boolean; logLevel?: string } = {}): CommandSetup {
  const paths = resolvePaths(ctx.io.env, ctx.configPath);
  const loaded = loadConfig({ path: paths.configFile, env: ctx.io.env });
  if (!opts.quietWarnings) for (const w of loaded.warnings) writeLine(ctx.io.stderr, `warning: ${w}`);
  const logger = createLogger({ level: opts.logLevel ?? ctx.io.env.SWITCHBOARD_LOG_LEVEL ?? "warn" });
  return { paths, loaded, logger };
}
