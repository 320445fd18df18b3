// `switchboard backup [FILE]`: one archive with a consistent copy of the
// database (safe while the gateway runs), the config and the workspace.
// `switchboard restore` (restore.ts) puts it back.
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { expandHome } from "../config/paths.ts";
import { createBackup, type BackupPaths } from "../store/backup.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";
import { commandSetup } from "./setup.ts";
import { VERSION } from "./version.ts";

export function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, "-");
}

export function backupPaths(ctx: CliContext): BackupPaths {
  const { paths, loaded } = commandSetup(ctx, { quietWarnings: true });
  const ws = (loaded.config.agents?.defaults as { workspace?: string } | undefined)?.workspace;
  return { home: paths.home, dbFile: paths.dbFile, configFile: paths.configFile, workspace: ws ? expandHome(ws) : paths.workspace };
}

function size(bytes: number): string {
  return bytes > 1_048_576 ? `${(bytes / 1_048_576).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} kB`;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command("backup")
    .description("write one archive with the database (consistent, even while the gateway runs), the config and the workspace")
    .argument("[file]", "where to write it (default: <state>/backups/switchboard-<time>.tar.gz)")
    .action(async (file: string | undefined) => {
      const paths = backupPaths(ctx);
      const dest = file ? resolve(file) : join(paths.home, "backups", `switchboard-${stamp()}.tar.gz`);
      const r = await createBackup(paths, dest, VERSION);
      writeLine(ctx.io.stdout, `wrote ${r.file} (${r.files} files, ${size(r.bytes)}); it holds your API keys and conversations: keep it private, and keep a copy on another machine`);
      writeLine(ctx.io.stdout, `restore it with: switchboard restore ${r.file}`);
    });
}
