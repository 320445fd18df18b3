// `switchboard store copy --to postgres://…`: copies the SQLite state
// (sessions and history, inbox and outbox, pairing, cron jobs and runs, kv,
// tool journal, channel cursors) into an empty PostgreSQL database, and the
// router's state from <state>/state/ (cooldowns, round-robin positions, rpm
// windows: router-copy.ts) into the tables a fleet shares, all in one transaction,
// ids and sequences kept; prints the rows per table. `--router-only` copies
// just the router's state into a database that already holds the rest (it
// can run any number of times). The password in the URL is never printed.
// Safe while the gateway runs: the SQLite side is read as one snapshot.
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import type { Command } from "commander";
import { ConfigError, SwitchboardError } from "../core/errors.ts";
import { redactUrl } from "../core/redact.ts";
import { migrateFleet } from "../fleet/schema.ts";
import { openDatabase } from "../store/db.ts";
import { DATABASE_URL_ENV, storeLocation, storeUrlProblem } from "../store/location.ts";
import { copySqliteToPg } from "../store/pg/copy.ts";
import { createPool, isPostgresUrl } from "../store/pg/index.ts";
import { connect } from "../store/pg/sql.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";
import { readRouterSource, routerSourceBeside, routerSourceIn, writeRouterRows, type RouterCounts, type RouterRows } from "./router-copy.ts";
import { commandSetup } from "./setup.ts";
import { CLI_CONNECT_TIMEOUT_MS, storeProblem, type PgTarget } from "./store-open.ts";

interface CopyFlags {
  to?: string;
  from?: string;
  force?: boolean;
  routerOnly?: boolean;
  json?: boolean;
}

/** The target (--to, else a postgres URL from store.url / SWITCHBOARD_DATABASE_URL) and the default SQLite source. */
function endpoints(flags: CopyFlags, configured: string | undefined, env: NodeJS.ProcessEnv, home: string, dbFile: string): { target: PgTarget; from: string } {
  if (flags.to !== undefined) {
    const problem = storeUrlProblem(flags.to) ?? (isPostgresUrl(flags.to) ? undefined : "store copy writes to PostgreSQL only");
    if (problem) throw new SwitchboardError("usage", `--to: ${problem} (e.g. --to postgres://user:password@host:5432/switchboard)`, { exitCode: 2 });
    const where = storeLocation(configured, env, home, dbFile);
    return { target: { kind: "postgres", url: flags.to.trim(), from: "--to" }, from: flags.from ?? (where.kind === "sqlite" ? where.file : dbFile) };
  }
  const where = storeLocation(configured, env, home, dbFile);
  if (where.kind === "postgres") return { target: where, from: flags.from ?? dbFile };
  throw new ConfigError([{ path: "--to", message: `no PostgreSQL database given`, hint: `pass --to postgres://user:password@host:5432/database, or set store.url or ${DATABASE_URL_ENV}` }]);
}

/** Only the router's state, in its own transaction (the store tables are left alone). */
async function copyRouterOnly(pool: ReturnType<typeof createPool>, rows: RouterRows): Promise<RouterCounts> {
  const held = await connect(pool);
  try {
    await held.client.query("BEGIN");
    const counts = await writeRouterRows(held.client, rows);
    await held.client.query("COMMIT");
    return counts;
  } catch (err) {
    await held.client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    held.release();
  }
}

function printCounts(ctx: CliContext, counts: Record<string, number>): void {
  const width = Math.max(...Object.keys(counts).map((t) => t.length));
  for (const [table, n] of Object.entries(counts)) writeLine(ctx.io.stdout, `  ${table.padEnd(width)}  ${n}`);
}

export function registerCopy(store: Command, ctx: CliContext): void {
  store
    .command("copy")
    .description("copy this gateway's SQLite state and router state into an empty PostgreSQL database")
    .option("--to <url>", "postgres://user:password@host:5432/database (default: store.url or SWITCHBOARD_DATABASE_URL)")
    .option("--from <file>", "the SQLite database to copy (default: the store's SQLite file); the router's state is then read from state/ beside it (default: <state>/state/)")
    .option("--force", "accept a database Switchboard already set up, as long as it holds no rows")
    .option("--router-only", "copy only the router's state (cooldowns, round-robin positions, rpm windows) into a database that already holds the rest; safe to repeat")
    .option("--json", "print JSON")
    .action(async (flags: CopyFlags) => {
      const { loaded, paths } = commandSetup(ctx, { quietWarnings: flags.json === true });
      const { target, from } = endpoints(flags, loaded.config.store.url, ctx.io.env, paths.home, paths.dbFile);
      if (!flags.routerOnly && !existsSync(from)) throw new SwitchboardError("usage", `${from} does not exist: there is no SQLite state to copy (check --from or SWITCHBOARD_HOME)`, { exitCode: 2 });
      const shown = redactUrl(target.url);
      // the gateway keeps them in <state>/state/ wherever its database is; a --from file's own state/ beside it
      const router = flags.from ? routerSourceBeside(flags.from) : routerSourceIn(dirname(paths.routerStateFile));
      const routerDir = dirname(router.stateFile);
      const rows = readRouterSource(router);
      const pool = createPool(target.url, { max: 2, connectTimeoutMs: CLI_CONNECT_TIMEOUT_MS });
      pool.on("error", () => undefined); // a dropped idle connection: the copy's own query reports it
      const src = flags.routerOnly ? undefined : openDatabase(from);
      try {
        let copied: RouterCounts | undefined;
        let tables: Record<string, number> | undefined;
        try {
          // the fleet's tables first (their own migration, like the store's schema): the router rows go into them
          await migrateFleet(pool);
          if (src) {
            tables = await copySqliteToPg(src, pool, shown, { force: flags.force === true, also: async (client) => void (copied = await writeRouterRows(client, rows)) });
          } else copied = await copyRouterOnly(pool, rows);
        } catch (err) {
          if (err instanceof SwitchboardError) throw err;
          const p = storeProblem(target, err);
          throw new SwitchboardError("store", `copy to ${shown} failed, nothing was written: ${p.reason} (fix: ${p.fix})`, { exitCode: p.exitCode, cause: err });
        }
        if (flags.json) {
          writeLine(ctx.io.stdout, JSON.stringify({ from, to: shown, ...(tables ? { tables } : {}), router: { from: routerDir, rows: copied } }));
          return;
        }
        if (tables) {
          writeLine(ctx.io.stdout, `copied ${from} → ${shown}`);
          printCounts(ctx, tables);
        }
        writeLine(ctx.io.stdout, `router state from ${routerDir} → ${shown} (rows added or updated; a repeat adds none):`);
        printCounts(ctx, copied!);
      } finally {
        src?.close();
        await pool.end().catch(() => undefined);
      }
    });
}
