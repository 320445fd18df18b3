// `switchboard cron list|add|remove|enable|disable`: the scheduled jobs in the
// store the gateways use (store.url / SWITCHBOARD_DATABASE_URL, else the
// SQLite file). Jobs added here may run shell commands (--command); the
// running gateway picks changes up on its next look at the store (within a
// minute); on a fleet one gateway fires each run.
import type { Command } from "commander";
import { SwitchboardError } from "../core/errors.ts";
import type { StoreBackend } from "../store/backend.ts";
import { addCronJob, CronJobError, formatCronJob, listCronJobs, removeCronJob, setCronJobEnabled } from "../tools/cron-tool.ts";
import { ScheduleError } from "../scheduler/schedule.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";
import { withCommandStore } from "./store-open.ts";

function withStore<T>(ctx: CliContext, fn: (store: StoreBackend) => Promise<T>): Promise<T> {
  return withCommandStore(ctx, ({ store }) =>
    fn(store).catch((err: unknown) => {
      if (err instanceof CronJobError || err instanceof ScheduleError) throw new SwitchboardError("usage", err.message);
      throw err;
    }),
  );
}

interface AddFlags {
  message?: string;
  command?: string;
  at?: string;
  in?: string;
  every?: string;
  cron?: string;
  tz?: string;
  name?: string;
  to?: string;
}

export function register(program: Command, ctx: CliContext): void {
  const cron = program.command("cron").description("list, add, remove, enable and disable scheduled jobs");
  cron
    .command("list")
    .option("--json", "print JSON")
    .action((flags: { json?: boolean }) =>
      withStore(ctx, async (store) => {
        const jobs = await listCronJobs(store.cron);
        if (flags.json) writeLine(ctx.io.stdout, JSON.stringify(jobs, null, 2));
        else writeLine(ctx.io.stdout, jobs.length ? jobs.map((j) => `${formatCronJob(j)}  → ${j.origin.channel}:${j.origin.chatId}`).join("\n") : "no jobs");
      }),
    );
  cron
    .command("add")
    .description("add a job: one of --in/--at/--every/--cron, and --message or --command")
    .option("-m, --message <text>", "message the agent receives when the job fires")
    .option("--command <shell>", "shell command to run (local jobs only)")
    .option("--in <seconds>", "once, this many seconds from now")
    .option("--at <time>", "once, at an ISO 8601 time, e.g. 2026-12-24T18:00:00+01:00")
    .option("--every <seconds>", "repeatedly, every this many seconds")
    .option("--cron <expr>", 'cron expression, e.g. "0 9 * * 1-5"')
    .option("--tz <zone>", "IANA time zone of the cron expression")
    .option("--name <name>", "a name to recognize the job by")
    .option("--to <channel:chat>", 'chat the reply goes to, e.g. "telegram:12345" (default: the terminal log)')
    .action((flags: AddFlags) =>
      withStore(ctx, async (store) => {
        const [channel, ...rest] = (flags.to ?? "cli:local").split(":");
        const chatId = rest.join(":");
        if (!channel || !chatId) throw new SwitchboardError("usage", '--to must look like "telegram:12345"');
        const num = (v: string | undefined, flag: string) => {
          if (v === undefined) return undefined;
          const n = Number(v);
          if (!Number.isFinite(n) || n <= 0) throw new SwitchboardError("usage", `${flag} needs a positive number of seconds, not "${v}"`);
          return n;
        };
        const inSeconds = num(flags.in, "--in");
        const everySeconds = num(flags.every, "--every");
        const job = await addCronJob(store.cron, Date.now(), {
          ...(flags.message ? { message: flags.message } : {}),
          ...(flags.command ? { command: flags.command } : {}),
          ...(inSeconds !== undefined ? { atSeconds: inSeconds } : {}),
          ...(flags.at ? { at: flags.at } : {}),
          ...(everySeconds !== undefined ? { everySeconds } : {}),
          ...(flags.cron ? { cron: flags.cron } : {}),
          ...(flags.tz ? { tz: flags.tz } : {}),
          ...(flags.name ? { name: flags.name } : {}),
          origin: { channel, chatId, sessionKey: `cron:${channel}:${chatId}` },
        }, { allowShell: true });
        writeLine(ctx.io.stdout, `added ${formatCronJob(job)}`);
      }),
    );
  for (const [name, action] of [["remove", "removed"], ["enable", "enabled"], ["disable", "disabled"]] as const) {
    cron
      .command(`${name} <id>`)
      .action((id: string) =>
        withStore(ctx, async (store) => {
          const job = name === "remove" ? await removeCronJob(store.cron, id) : await setCronJobEnabled(store.cron, id, name === "enable", Date.now());
          writeLine(ctx.io.stdout, `${action} ${job.id}`);
        }),
      );
  }
}
