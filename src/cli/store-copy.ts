// `switchboard store copy --to postgres://…`: copies the SQLite state
// (sessions and history, inbox and outbox, pairing, cron jobs and runs, kv,
// tool journal, channel cursors) into an empty PostgreSQL database in one
// transaction, ids and sequences kept, and prints the rows per table. The
// password in the URL is never printed. Safe while the gateway runs: the
// SQLite side is read as one snapshot.
import { existsSync } from "node:fs";
import type { Command } from "commander";
import { ConfigError, SwitchboardError } from "../core/errors.ts";
import { redactUrl } from "../core/redact.ts";
import { openDatabase } from "../store/db.ts";
import { DATABASE_URL_ENV, storeLocation, storeUrlProblem } from "../store/location.ts";
import { copySqliteToPg } from "../store/pg/copy.ts";
import { createPool, isPostgresUrl } from "../store/pg/index.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";
import { commandSetup } from "./setup.ts";

/** Router state is not a store table; PostgreSQL gets it with the fleet coordination (src/fleet). */
const ROUTER_NOT_COPIED =
  "router state (cooldowns, round-robin positions, rpm windows under state/): not copied — PostgreSQL has no tables for it yet (they come with the fleet coordination); cooldowns and counters rebuild from traffic";

interface CopyFlags {
  to?: string;
  from?: string;
  force?: boolean;
  json?: boolean;
}

/** The target: --to, else a postgres URL from store.url / SWITCHBOARD_DATABASE_URL. */
function target(flags: CopyFlags, configured: string | undefined, env: NodeJS.ProcessEnv, home: string, dbFile: string): string {
  if (flags.to !== undefined) {
    const problem = storeUrlProblem(flags.to) ?? (isPostgresUrl(flags.to) ? undefined : "store copy writes to PostgreSQL only");
    if (problem) throw new SwitchboardError("usage", `--to: ${problem} (e.g. --to postgres://user:password@host:5432/switchboard)`, { exitCode: 2 });
    return flags.to.trim();
  }
  const where = storeLocation(configured, env, home, dbFile);
  if (where.kind === "postgres") return where.url;
  throw new ConfigError([{ path: "--to", message: `no PostgreSQL database given`, hint: `pass --to postgres://user:password@host:5432/database, or set store.url or ${DATABASE_URL_ENV}` }]);
}

export function registerCopy(store: Command, ctx: CliContext): void {
  store
    .command("copy")
    .description("copy this gateway's SQLite state into an empty PostgreSQL database")
    .option("--to <url>", "postgres://user:password@host:5432/database (default: store.url or SWITCHBOARD_DATABASE_URL)")
    .option("--from <file>", "the SQLite database to copy (default: the state directory's switchboard.db)")
    .option("--force", "accept a database Switchboard already set up, as long as it holds no rows")
    .option("--json", "print JSON")
    .action(async (flags: CopyFlags) => {
      const { loaded, paths } = commandSetup(ctx, { quietWarnings: flags.json === true });
      const url = target(flags, loaded.config.store.url, ctx.io.env, paths.home, paths.dbFile);
      const from = flags.from ?? paths.dbFile;
      if (!existsSync(from)) throw new SwitchboardError("usage", `${from} does not exist: there is no SQLite state to copy (check --from or SWITCHBOARD_HOME)`, { exitCode: 2 });
      const shown = redactUrl(url);
      const src = openDatabase(from);
      const pool = createPool(url, { max: 2 });
      pool.on("error", () => undefined); // a dropped idle connection: the copy's own query reports it
      try {
        const counts = await copySqliteToPg(src, pool, shown, { force: flags.force === true }).catch((err: unknown) => {
          if (err instanceof SwitchboardError) throw err;
          throw new SwitchboardError("store", `copy to ${shown} failed, nothing was written: ${redactUrl(err instanceof Error ? err.message : String(err))}`, { cause: err });
        });
        if (flags.json) {
          writeLine(ctx.io.stdout, JSON.stringify({ from, to: shown, tables: counts, routerState: "not_copied" }));
          return;
        }
        writeLine(ctx.io.stdout, `copied ${from} → ${shown}`);
        const width = Math.max(...Object.keys(counts).map((t) => t.length));
        for (const [table, n] of Object.entries(counts)) writeLine(ctx.io.stdout, `  ${table.padEnd(width)}  ${n}`);
        writeLine(ctx.io.stdout, ROUTER_NOT_COPIED);
      } finally {
        src.close();
        await pool.end().catch(() => undefined);
      }
    });
}
