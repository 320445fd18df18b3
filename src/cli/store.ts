// `switchboard store vacuum [--days N]`: deletes answered messages, sent
// reply chunks (and the media they carry) and journaled tool calls older than
// the retention period (gateway.retention_days unless --days is given), on the
// store the gateways use. On SQLite it then rewrites the database file so the
// space goes back to the disk (safe while the gateway runs: SQLite's lock
// makes either wait for the other). On PostgreSQL it runs VACUUM ANALYZE on
// the store's tables: the space is reused by the database and the planner's
// statistics are fresh; giving it back to the disk needs VACUUM FULL, which
// locks each table while it runs, so that is left to the operator.
// `switchboard store copy --to postgres://…`: see store-copy.ts.
import type { Command } from "commander";
import { SwitchboardError } from "../core/errors.ts";
import { pruneBackend, type StoreBackend } from "../store/backend.ts";
import { vacuumStore } from "../store/index.ts";
import type { PgBackend } from "../store/pg/index.ts";
import { PG_TABLES } from "../store/pg/schema.ts";
import type { SqliteBackend } from "../store/sqlite-backend.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";
import { shownLocation, withCommandStore } from "./store-open.ts";
import { registerCopy } from "./store-copy.ts";

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}

interface VacuumReport {
  messages: number;
  toolCalls: number;
  bytesBefore: number;
  bytesAfter: number;
  /** what ran after the prune */
  ran: "VACUUM" | "VACUUM ANALYZE";
}

async function vacuumPg(store: PgBackend, days: number): Promise<VacuumReport> {
  const size = async () => Number((await store.pool.query<{ n: string }>("SELECT pg_database_size(current_database()) AS n")).rows[0]!.n);
  const bytesBefore = await size();
  const pruned = await pruneBackend(store, days);
  // VACUUM cannot run inside a transaction block; a pool query is its own statement
  await store.pool.query(`VACUUM (ANALYZE) ${PG_TABLES.join(", ")}`);
  return { ...pruned, bytesBefore, bytesAfter: await size(), ran: "VACUUM ANALYZE" };
}

async function vacuum(store: StoreBackend, days: number): Promise<VacuumReport> {
  if (store.kind === "postgres") return vacuumPg(store as PgBackend, days);
  return { ...vacuumStore((store as SqliteBackend).sync, days), ran: "VACUUM" };
}

export function register(program: Command, ctx: CliContext): void {
  const store = program.command("store").description("maintain the gateway's database");
  store
    .command("vacuum")
    .description("delete what was answered before the retention period; SQLite: shrink the file, PostgreSQL: VACUUM ANALYZE")
    .option("--days <n>", "keep this many days instead of gateway.retention_days")
    .option("--json", "print JSON")
    .action((flags: { days?: string; json?: boolean }) =>
      withCommandStore(
        ctx,
        async ({ store: backend, location, setup }) => {
          const days = flags.days === undefined ? setup.loaded.config.gateway.retention_days : Number(flags.days);
          if (!(days > 0) || !Number.isFinite(days)) {
            throw new SwitchboardError("usage", `--days must be a positive number of days, got "${flags.days}" (e.g. --days 7)`, { exitCode: 2 });
          }
          const r = await vacuum(backend, days);
          const where = shownLocation(location);
          if (flags.json) {
            writeLine(ctx.io.stdout, JSON.stringify({ store: location.kind, location: where, retentionDays: days, ...r }));
            return;
          }
          writeLine(ctx.io.stdout, `deleted ${r.messages} answered message row(s) and ${r.toolCalls} tool-call record(s) older than ${days} day(s)`);
          if (location.kind === "sqlite") {
            writeLine(ctx.io.stdout, `${where}: ${megabytes(r.bytesBefore)} → ${megabytes(r.bytesAfter)}`);
            return;
          }
          writeLine(ctx.io.stdout, `ran VACUUM ANALYZE on the store's tables in ${where}: database ${megabytes(r.bytesBefore)} → ${megabytes(r.bytesAfter)}`);
          writeLine(ctx.io.stdout, "PostgreSQL reuses the freed space for new rows; to give it back to the disk, run VACUUM FULL yourself at a quiet time (it locks each table while it runs)");
        },
        { quietWarnings: flags.json === true },
      ),
    );
  registerCopy(store, ctx);
}
