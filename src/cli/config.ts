// `switchboard config get|set|validate` with dotted key paths.
import { redactValue, secretsOf } from "../core/redact.ts";
import type { Command } from "commander";
import { getPath, maskSecrets, setConfigValue } from "../config/edit.ts";
import { resolvePaths } from "../config/paths.ts";
import { loadConfig, readRawConfig } from "../config/load.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";

export function register(program: Command, ctx: CliContext): void {
  const config = program.command("config").description("read, change and validate the config file");
  config
    .command("get [path]")
    .description("print a value (secrets masked), or the whole config with defaults")
    .option("--raw", "print the file's value as written, not the effective one")
    .option("--show-secrets", "print secrets unmasked")
    .action((path: string | undefined, flags: { raw?: boolean; showSecrets?: boolean }) => {
      const paths = resolvePaths(ctx.io.env, ctx.configPath);
      const required = ctx.configPath !== undefined;
      const source = flags.raw ? readRawConfig(paths.configFile).raw : loadConfig({ path: paths.configFile, env: { ...ctx.io.env }, required }).config;
      const value = path ? getPath(source, path) : source;
      if (value === undefined) {
        writeLine(ctx.io.stderr, `${path} is not set`);
        ctx.exitCode = 1;
        return;
      }
      // key-named values are masked by path; URL passwords, ?key= values and header values anywhere by redactValue
      const shown = flags.showSecrets ? value : redactValue(maskSecrets(value, path?.split(".").pop() ?? ""), secretsOf(source));
      writeLine(ctx.io.stdout, typeof shown === "string" ? shown : JSON.stringify(shown, null, 2));
    });
  config
    .command("set <path> <value>")
    .description("set a value (JSON values like 5, true or [\"a\"] are parsed) and save, with a backup")
    .action((path: string, value: string) => {
      const paths = resolvePaths(ctx.io.env, ctx.configPath);
      const result = setConfigValue({ file: paths.configFile, path, value, env: ctx.io.env });
      writeLine(ctx.io.stdout, `set ${path} in ${paths.configFile}${result.backup ? ` (backup: ${result.backup})` : ""}`);
    });
  config
    .command("validate")
    .description("check the config file; exit 78 with every problem when it is invalid")
    .action(() => {
      const paths = resolvePaths(ctx.io.env, ctx.configPath);
      const loaded = loadConfig({ path: paths.configFile, env: { ...ctx.io.env }, required: ctx.configPath !== undefined });
      if (!loaded.exists) {
        writeLine(ctx.io.stdout, `${paths.configFile} does not exist; the embedded defaults apply (run \`switchboard onboard\`)`);
        return;
      }
      for (const w of loaded.warnings) writeLine(ctx.io.stderr, `warning: ${w}`);
      const n = loaded.warnings.length;
      writeLine(ctx.io.stdout, `${paths.configFile} is valid${n ? ` (${n} warning${n > 1 ? "s" : ""})` : ""}`);
    });
}
