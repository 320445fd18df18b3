// `switchboard backup [FILE]`: one archive with a consistent copy of the
// database (safe while the gateway runs), the config and the workspace.
// `switchboard restore` (restore.ts) puts it back. Both are for the SQLite
// store: a PostgreSQL store is backed up with PostgreSQL's own tools.
import { isAbsolute, join, relative, resolve } from "node:path";
import type { Command } from "commander";
import { expandHome } from "../config/paths.ts";
import { SwitchboardError } from "../core/errors.ts";
import { createBackup, type BackupPaths } from "../store/backup.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";
import { commandSetup } from "./setup.ts";
import { commandStoreLocation, shownLocation } from "./store-open.ts";
import { VERSION } from "./version.ts";

export function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, "-");
}

/**
 * What backup and restore work on. They copy a SQLite file; a PostgreSQL
 * store is refused (exit 2) with what to use instead: copying a live
 * server's files is not a consistent backup, pg_dump takes one snapshot
 * while the gateways keep writing, and pg_restore puts it back.
 */
export function backupPaths(ctx: CliContext, command: "backup" | "restore"): BackupPaths {
  const setup = commandSetup(ctx, { quietWarnings: true });
  const { paths, loaded } = setup;
  const location = commandStoreLocation(setup, ctx.io.env);
  if (location.kind === "postgres") {
    const how =
      command === "backup"
        ? `back it up with pg_dump (pg_dump -Fc -f switchboard.dump "<the ${location.from} URL>"), and the config and workspace with your usual file backup`
        : `restore a pg_dump file with pg_restore (pg_restore --clean -d "<the ${location.from} URL>" switchboard.dump) with the gateways stopped`;
    throw new SwitchboardError(
      "usage",
      `${command} copies the SQLite database, but ${location.from} puts the store in PostgreSQL (${shownLocation(location)}): ${how}. pg_dump takes one consistent snapshot while gateways keep writing; a copy of the server's files would not be one`,
      { exitCode: 2 },
    );
  }
  const rel = relative(paths.home, location.file);
  if (rel.startsWith("..") || isAbsolute(rel)) {
    throw new SwitchboardError("usage", `${command} works on the state directory ${paths.home}, but ${location.from} puts the SQLite store outside it (${location.file}); move the file into the state directory, or copy it with sqlite3's .backup command`, { exitCode: 2 });
  }
  const ws = (loaded.config.agents?.defaults as { workspace?: string } | undefined)?.workspace;
  return { home: paths.home, dbFile: location.file, configFile: paths.configFile, workspace: ws ? expandHome(ws) : paths.workspace };
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
      const paths = backupPaths(ctx, "backup");
      const dest = file ? resolve(file) : join(paths.home, "backups", `switchboard-${stamp()}.tar.gz`);
      const r = await createBackup(paths, dest, VERSION);
      writeLine(ctx.io.stdout, `wrote ${r.file} (${r.files} files, ${size(r.bytes)}); it holds your API keys and conversations: keep it private, and keep a copy on another machine`);
      writeLine(ctx.io.stdout, `restore it with: switchboard restore ${r.file}`);
    });
}
