// `switchboard config get|set|validate` with dotted key paths.
import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import JSON5 from "json5";
import { ConfigError } from "../core/errors.ts";
import { writeConfigFile } from "../config/migrate.ts";
import { getPath, maskSecrets, parseValue, setValueAt } from "../config/edit.ts";
import { resolvePaths } from "../config/paths.ts";
import { parseConfigText } from "../config/load.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";

function readRaw(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {};
  try {
    return JSON5.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError([{ path: "", message: `cannot parse ${file}: ${(err as Error).message}`, hint: "run `switchboard config validate` for details" }], file);
  }
}

export function register(program: Command, ctx: CliContext): void {
  const config = program.command("config").description("read, change and validate the config file");
  config
    .command("get [path]")
    .description("print a value (secrets masked), or the whole config with defaults")
    .option("--raw", "print the file's value as written, not the effective one")
    .option("--show-secrets", "print secrets unmasked")
    .action((path: string | undefined, flags: { raw?: boolean; showSecrets?: boolean }) => {
      const paths = resolvePaths(ctx.io.env, ctx.configPath);
      const source = flags.raw ? readRaw(paths.configFile) : parseConfigText(existsSync(paths.configFile) ? readFileSync(paths.configFile, "utf8") : "{}", { env: { ...ctx.io.env }, file: paths.configFile }).config;
      const value = path ? getPath(source, path) : source;
      if (value === undefined) {
        writeLine(ctx.io.stderr, `${path} is not set`);
        ctx.exitCode = 1;
        return;
      }
      const shown = flags.showSecrets ? value : maskSecrets(value, path?.split(".").pop() ?? "");
      writeLine(ctx.io.stdout, typeof shown === "string" ? shown : JSON.stringify(shown, null, 2));
    });
  config
    .command("set <path> <value>")
    .description("set a value (JSON values like 5, true or [\"a\"] are parsed) and save, with a backup")
    .action((path: string, value: string) => {
      const paths = resolvePaths(ctx.io.env, ctx.configPath);
      const next = setValueAt(readRaw(paths.configFile), path, parseValue(value));
      parseConfigText(JSON.stringify(next), { env: { ...ctx.io.env }, file: paths.configFile }); // refuses an invalid result; nothing is written
      const backup = writeConfigFile(paths.configFile, next);
      writeLine(ctx.io.stdout, `set ${path} in ${paths.configFile}${backup ? ` (backup: ${backup})` : ""}`);
    });
  config
    .command("validate")
    .description("check the config file; exit 78 with every problem when it is invalid")
    .action(() => {
      const paths = resolvePaths(ctx.io.env, ctx.configPath);
      if (!existsSync(paths.configFile)) {
        writeLine(ctx.io.stdout, `${paths.configFile} does not exist; the embedded defaults apply (run \`switchboard onboard\`)`);
        return;
      }
      const { warnings } = parseConfigText(readFileSync(paths.configFile, "utf8"), { env: { ...ctx.io.env }, file: paths.configFile });
      for (const w of warnings) writeLine(ctx.io.stderr, `warning: ${w}`);
      writeLine(ctx.io.stdout, `${paths.configFile} is valid${warnings.length ? ` (${warnings.length} warning${warnings.length > 1 ? "s" : ""})` : ""}`);
    });
}
