// `switchboard store vacuum [--days N]`: deletes answered messages, sent
// reply chunks (and the media they carry) and journaled tool calls older than
// the retention period (gateway.retention_days unless --days is given), then
// rewrites the database file so the space goes back to the disk. Safe while
// the gateway runs: SQLite's lock makes either wait for the other.
// `switchboard store copy --to postgres://…`: see copy-command in store-copy.ts.
import type { Command } from "commander";
import { SwitchboardError } from "../core/errors.ts";
import { openStore, vacuumStore } from "../store/index.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";
import { commandSetup } from "./setup.ts";
import { registerCopy } from "./store-copy.ts";

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}

export function register(program: Command, ctx: CliContext): void {
  const store = program.command("store").description("maintain the gateway's database");
  store
    .command("vacuum")
    .description("delete what was answered before the retention period and shrink the database file")
    .option("--days <n>", "keep this many days instead of gateway.retention_days")
    .option("--json", "print JSON")
    .action((flags: { days?: string; json?: boolean }) => {
      const { loaded, paths } = commandSetup(ctx, { quietWarnings: flags.json === true });
      const days = flags.days === undefined ? loaded.config.gateway.retention_days : Number(flags.days);
      if (!(days > 0) || !Number.isFinite(days)) {
        throw new SwitchboardError("usage", `--days must be a positive number of days, got "${flags.days}" (e.g. --days 7)`, { exitCode: 2 });
      }
      const s = openStore(paths.dbFile);
      try {
        const r = vacuumStore(s, days);
        if (flags.json) {
          writeLine(ctx.io.stdout, JSON.stringify({ retentionDays: days, ...r }));
          return;
        }
        writeLine(ctx.io.stdout, `deleted ${r.messages} answered message row(s) and ${r.toolCalls} tool-call record(s) older than ${days} day(s)`);
        writeLine(ctx.io.stdout, `${paths.dbFile}: ${megabytes(r.bytesBefore)} → ${megabytes(r.bytesAfter)}`);
      } finally {
        s.close();
      }
    });
  registerCopy(store, ctx);
}
