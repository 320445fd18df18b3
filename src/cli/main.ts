// The `switchboard` command. Each subcommand lives in its own file and is
// imported only when it runs, so `switchboard version` stays fast.
import { existsSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { ConfigError, SwitchboardError, errorMessage } from "../core/errors.ts";
import { LOG_LEVELS } from "../core/logger.ts";
import { resolvePaths } from "../config/paths.ts";
import { redact } from "../core/redact.ts";
import { processIO, writeLine, type CliIO } from "./io.ts";
import { VERSION } from "./version.ts";

/** Shared by every subcommand: the global options and the IO. */
export interface CliContext {
  io: CliIO;
  /** --config PATH, when given */
  configPath: string | undefined;
  /** set by a command to choose the process exit code */
  exitCode: number;
}

type Register = (program: Command, ctx: CliContext) => void;

// name -> loader; commands register themselves on a tiny shell first so
// `--help` lists them all, and only the one that runs is imported in full.
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ register: Register }> }> = {
  gateway: { summary: "run the long-lived gateway daemon", load: () => import("./gateway.ts") },
  reload: { summary: "reload the running gateway's config now and show what changed", load: () => import("./reload.ts") },
  agent: { summary: "talk to the agent from the terminal", load: () => import("./agent.ts") },
  status: { summary: "show model entries, cooldowns and last errors", load: () => import("./status.ts") },
  auth: { summary: "store provider API tokens (login, status, logout)", load: () => import("./auth.ts") },
  onboard: { summary: "set up a config and a workspace", load: () => import("./onboard.ts") },
  config: { summary: "read, change and validate the config file", load: () => import("./config.ts") },
  migrate: { summary: "rewrite a config to the current form, or import PicoClaw/OpenClaw", load: () => import("./migrate.ts") },
  cron: { summary: "list, add, remove, enable and disable scheduled jobs", load: () => import("./cron.ts") },
  channels: { summary: "list channels, and log in to WhatsApp", load: () => import("./channels.ts") },
  pairing: { summary: "approve people who asked to talk to the bot", load: () => import("./pairing.ts") },
  dashboard: { summary: "open the control page (prints a one-time login link)", load: () => import("./dashboard.ts") },
  store: { summary: "prune answered messages and shrink the database (store vacuum)", load: () => import("./store.ts") },
  doctor: { summary: "check config, store, ports and channel credentials", load: () => import("./doctor.ts") },
  service: { summary: "install the gateway as a systemd service", load: () => import("./service.ts") },
  logs: { summary: "show the gateway's log (journald, a log file, or where to look)", load: () => import("./logs.ts") },
  backup: { summary: "write a backup of the database, config and workspace", load: () => import("./backup.ts") },
  restore: { summary: "restore a backup (gateway stopped)", load: () => import("./restore.ts") },
  mcp: { summary: "list and test the configured MCP servers", load: () => import("./mcp.ts") },
  skills: { summary: "list the skills the agent can use", load: () => import("./skills.ts") },
  version: { summary: "print the version", load: () => import("./version.ts") },
};

export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const ctx: CliContext = { io, configPath: undefined, exitCode: 0 };
  const program = new Command("switchboard")
    .description("Switchboard: a self-hosted AI chat gateway")
    .option("-c, --config <path>", "config file (default: $SWITCHBOARD_CONFIG or ~/.switchboard/config.json)")
    .option("--log-level <level>", "trace, debug, info, warn, error, fatal or silent (default: $SWITCHBOARD_LOG_LEVEL)")
    .version(VERSION, "-V, --version", "print the version")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showHelpAfterError("(run `switchboard --help` for usage)");
  program.hook("preAction", (_program, cmd) => {
    const opts = cmd.optsWithGlobals<{ config?: string; logLevel?: string }>();
    ctx.configPath = opts.config;
    if (opts.logLevel) ctx.io.env.SWITCHBOARD_LOG_LEVEL = checkLogLevel(opts.logLevel);
    if (opts.config !== undefined) requireConfigFile(opts.config, cmd, io.env);
  });

  const args = argv.slice(2);
  const wanted = args.find((a) => !a.startsWith("-") && a in COMMANDS);
  for (const [name, spec] of Object.entries(COMMANDS)) {
    if (name === wanted) {
      const mod = await spec.load();
      mod.register(program, ctx);
    } else {
      program.command(name).summary(spec.summary).allowUnknownOption().allowExcessArguments();
    }
  }

  try {
    await program.parseAsync(argv);
    return ctx.exitCode;
  } catch (err) {
    return reportError(err, io);
  }
}

function checkLogLevel(level: string): string {
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level;
  throw new SwitchboardError("usage", `--log-level must be one of ${LOG_LEVELS.join(", ")}, not "${level}"`, { exitCode: 2 });
}

/** Commands that create the file --config names; every other command needs it to exist. */
const CREATES_CONFIG = new Set(["onboard", "migrate"]);

/** A --config path that does not exist is an error naming it (a typo must not mean "defaults"). */
function requireConfigFile(flag: string, cmd: Command, env: NodeJS.ProcessEnv): void {
  let top = cmd;
  while (top.parent && top.parent.parent) top = top.parent;
  if (CREATES_CONFIG.has(top.name())) return;
  const file = resolvePaths(env, flag).configFile;
  if (!flag.trim()) throw new ConfigError([{ path: "", message: "--config was given an empty path", hint: "name the config file, e.g. --config ~/.switchboard/config.json" }]);
  if (!existsSync(file)) {
    throw new ConfigError([{ path: "", message: `${file} does not exist`, hint: "check the --config path, or create the file with `switchboard onboard --config <path>`" }], file);
  }
}

export function reportError(err: unknown, io: CliIO): number {
  if (err instanceof CommanderError) {
    // help and version print and exit 0; usage errors were already printed
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof ConfigError) {
    writeLine(io.stderr, redact(`switchboard: ${err.message}`));
    return err.exitCode;
  }
  if (err instanceof SwitchboardError) {
    writeLine(io.stderr, redact(`switchboard: ${err.message}`));
    return err.exitCode;
  }
  const message = errorMessage(err);
  writeLine(io.stderr, redact(`switchboard: unexpected error: ${message}`));
  return 1;
}
