// `switchboard migrate`: rewrites the config to the current form (backup
// first). `--from picoclaw|openclaw [--source PATH]` imports another
// gateway's config into Switchboard's.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { SwitchboardError } from "../core/errors.ts";
import { importOpenclaw, importPicoclaw, migrateConfig, writeConfigFile } from "../config/migrate.ts";
import { resolvePaths } from "../config/paths.ts";
import { parseConfigText, readRawConfig } from "../config/load.ts";
import { readSecurityFile } from "../config/security.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";

const SOURCES: Record<string, string[]> = {
  picoclaw: [join(homedir(), ".picoclaw", "config.json")],
  openclaw: [join(homedir(), ".openclaw", "openclaw.json"), join(homedir(), ".clawdbot", "clawdbot.json")],
};

export function register(program: Command, ctx: CliContext): void {
  program
    .command("migrate")
    .description("rewrite the config to the current form, or import a PicoClaw/OpenClaw config")
    .option("--from <gateway>", "import from picoclaw or openclaw")
    .option("--source <path>", "the file to import (default: that gateway's usual location)")
    .option("--dry-run", "print the result instead of writing it")
    .action((flags: { from?: string; source?: string; dryRun?: boolean }) => {
      const paths = resolvePaths(ctx.io.env, ctx.configPath);
      let sourceFile = paths.configFile;
      if (flags.from) {
        const from = flags.from.toLowerCase();
        if (!(from in SOURCES)) throw new SwitchboardError("usage", `--from must be picoclaw or openclaw, not "${flags.from}"`);
        sourceFile = flags.source ?? SOURCES[from]!.find((p) => existsSync(p)) ?? SOURCES[from]![0]!;
      }
      if (!existsSync(sourceFile)) throw new SwitchboardError("not_found", `${sourceFile} does not exist${flags.from ? "; point --source at the file to import" : "; nothing to migrate"}`);
      // the same repairs as loading (missing commas, numeric separators); a real syntax error is a ConfigError (78)
      const { raw } = readRawConfig(sourceFile, { includes: true });
      const from = flags.from?.toLowerCase();
      // PicoClaw keeps secrets in .security.yml beside its config; they come along
      const security = from === "picoclaw" ? readSecurityFile(sourceFile)?.data : undefined;
      const result = from === "openclaw" ? importOpenclaw(raw) : from === "picoclaw" ? importPicoclaw(raw, security) : migrateConfig(raw);
      // the result must load; a value that cannot work stops here (exit 78) before anything is written
      const { warnings } = parseConfigText(JSON.stringify(result.raw), { env: { ...ctx.io.env }, file: "(migrated config)" });
      for (const c of result.changes) writeLine(ctx.io.stderr, `- ${c}`);
      if (result.dropped.length) writeLine(ctx.io.stderr, `not carried over (${result.dropped.length}):`);
      for (const d of result.dropped) writeLine(ctx.io.stderr, `  dropped ${d}`);
      for (const w of warnings) writeLine(ctx.io.stderr, `warning: ${w}`);
      if (flags.dryRun) {
        writeLine(ctx.io.stdout, JSON.stringify(result.raw, null, 2));
        return;
      }
      if (!from && result.changes.length === 0) {
        writeLine(ctx.io.stdout, `${paths.configFile} is already in the current form`);
        return;
      }
      const backup = writeConfigFile(paths.configFile, result.raw);
      writeLine(ctx.io.stdout, `wrote ${paths.configFile}${backup ? ` (backup: ${backup})` : ""}`);
    });
}
