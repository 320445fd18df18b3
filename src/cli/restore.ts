// `switchboard restore FILE`: puts a backup (or a migration's .db copy)
// back, after saving what is there now; the gateway must be stopped.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { SwitchboardError } from "../core/errors.ts";
import { createBackup, restoreBackup } from "../store/backup.ts";
import { SCHEMA_VERSION } from "../store/db.ts";
import { openStore } from "../store/index.ts";
import { backupPaths, stamp } from "./backup.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";
import { findGateway } from "./running.ts";
import { VERSION } from "./version.ts";

export function register(program: Command, ctx: CliContext): void {
  program
    .command("restore")
    .description("put a backup (or a migration's .db copy) back; the gateway must be stopped")
    .argument("<file>", "a file `switchboard backup` wrote, or a .db from <state>/backups")
    .action(async (file: string) => {
      const source = resolve(file);
      if (!existsSync(source)) throw new SwitchboardError("not_found", `${source} does not exist`);
      const paths = backupPaths(ctx, "restore");
      const running = findGateway(paths.home);
      if (running) throw new SwitchboardError("usage", `the gateway is running (pid ${running.pid}); stop it first (systemctl stop switchboard, or docker stop), then restore`);
      // what is there now is kept, in case the wrong file was restored
      let saved: string | undefined;
      if (existsSync(paths.dbFile) || existsSync(paths.configFile)) {
        saved = (await createBackup(paths, join(paths.home, "backups", `before-restore-${stamp()}.tar.gz`), VERSION)).file;
      }
      const r = restoreBackup(source, paths, SCHEMA_VERSION);
      // opening it checks it and brings an older schema up to date
      const store = openStore(paths.dbFile);
      const sessions = (store.db.prepare("SELECT count(*) AS n FROM sessions").get() as { n: number }).n;
      store.close();
      writeLine(ctx.io.stdout, `restored ${r.restored} files from ${source}${r.manifest ? ` (made ${r.manifest.createdAt} by Switchboard ${r.manifest.version})` : ""}; ${sessions} conversations`);
      if (saved) writeLine(ctx.io.stdout, `what was there before is in ${saved}`);
    });
}
