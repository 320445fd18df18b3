// `switchboard logs [-f] [--level L] [-n N]`: the gateway's log, wherever it
// goes: a file (SWITCHBOARD_LOG_FILE), the journal (a systemd unit, through
// journalctl with the level as a priority), or — inside a container or a
// terminal — an explanation of where to look instead.
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readSync, statSync, watch } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { SwitchboardError } from "../core/errors.ts";
import { LOG_LEVELS } from "../core/logger.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";

const UNIT = "switchboard.service";
const PINO_LEVEL: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
/** journald's names for our levels (journalctl -p shows that priority and more urgent) */
const PRIORITY: Record<string, string> = { trace: "debug", debug: "debug", info: "info", warn: "warning", error: "err", fatal: "crit" };

export type LogSource = { kind: "file"; path: string } | { kind: "journal"; user: boolean } | { kind: "container" } | { kind: "terminal" };

/** Where the gateway's log goes on this machine. */
export function findLogSource(env: NodeJS.ProcessEnv, home = homedir()): LogSource {
  const file = env.SWITCHBOARD_LOG_FILE?.trim();
  if (file) return { kind: "file", path: file };
  if (existsSync("/etc/systemd/system/switchboard.service")) return { kind: "journal", user: false };
  if (existsSync(join(home, ".config", "systemd", "user", UNIT))) return { kind: "journal", user: true };
  if (env.container || existsSync("/.dockerenv")) return { kind: "container" };
  return { kind: "terminal" };
}

/** the journalctl arguments for a request */
export function journalctlArgs(o: { user: boolean; follow: boolean; lines: number; level?: string }): string[] {
  return [...(o.user ? ["--user-unit", UNIT] : ["-u", UNIT]), "-o", "cat", "-n", String(o.lines), ...(o.level ? ["-p", PRIORITY[o.level]!] : []), ...(o.follow ? ["-f"] : [])];
}

/** a JSON log line at or above `min` (lines that are not JSON always pass) */
function passes(line: string, min: number): boolean {
  const m = /"level":(\d+)/.exec(line);
  return !m || Number(m[1]) >= min;
}

async function readFileLog(ctx: CliContext, path: string, o: { follow: boolean; lines: number; min: number }): Promise<void> {
  if (!existsSync(path)) throw new SwitchboardError("not_found", `the log file ${path} (SWITCHBOARD_LOG_FILE) does not exist yet; it appears when the gateway starts`);
  const readFrom = (start: number): { text: string; end: number } => {
    const size = statSync(path).size;
    if (size < start) start = 0; // the file was rotated or truncated: read the new one from the top
    const buf = Buffer.alloc(size - start);
    const fd = openSync(path, "r");
    try {
      readSync(fd, buf, 0, buf.length, start);
    } finally {
      closeSync(fd);
    }
    return { text: buf.toString("utf8"), end: size };
  };
  const first = readFrom(0);
  const tail = first.text.split("\n").filter((l) => l && passes(l, o.min)).slice(-o.lines);
  for (const l of tail) writeLine(ctx.io.stdout, l);
  if (!o.follow) return;
  let offset = first.end;
  let partial = "";
  await new Promise<void>((resolve) => {
    const onChange = () => {
      const next = readFrom(offset);
      offset = next.end;
      const lines = (partial + next.text).split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) if (l && passes(l, o.min)) writeLine(ctx.io.stdout, l);
    };
    const watcher = watch(path, onChange);
    // fs.watch can miss events on some filesystems: look once a second as well
    const timer = setInterval(onChange, 1000);
    const stop = () => {
      watcher.close();
      clearInterval(timer);
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

function runJournalctl(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn("journalctl", args, { stdio: "inherit" });
    child.on("error", (err) => reject(new SwitchboardError("not_found", `cannot run journalctl: ${err.message}; the gateway runs as a systemd service, so its log is in the journal`)));
    child.on("exit", (code) => resolve(code ?? 1));
    for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => child.kill(sig));
  });
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command("logs")
    .description("show the gateway's log (journald, a log file, or where to look in a container)")
    .option("-f, --follow", "keep printing new lines")
    .option("--level <level>", `only this level and more urgent: ${LOG_LEVELS.filter((l) => l !== "silent").join(", ")}`)
    .option("-n, --lines <n>", "how many recent lines", "100")
    .action(async (flags: { follow?: boolean; level?: string; lines: string }) => {
      if (flags.level !== undefined && !(flags.level in PINO_LEVEL)) throw new SwitchboardError("usage", `--level must be one of ${Object.keys(PINO_LEVEL).join(", ")}, not "${flags.level}"`, { exitCode: 2 });
      const lines = Math.max(1, Math.floor(Number(flags.lines)) || 100);
      const follow = flags.follow === true;
      const source = findLogSource(ctx.io.env, ctx.io.env.HOME || homedir());
      switch (source.kind) {
        case "file":
          await readFileLog(ctx, source.path, { follow, lines, min: PINO_LEVEL[flags.level ?? "trace"]! });
          return;
        case "journal":
          ctx.exitCode = await runJournalctl(journalctlArgs({ user: source.user, follow, lines, ...(flags.level ? { level: flags.level } : {}) }));
          return;
        case "container":
          writeLine(ctx.io.stderr, "this is a container: the gateway logs to the container's output, which only the host can read. On the host run: docker logs -f <container>   (or docker compose -f config/compose.yaml logs -f). Set SWITCHBOARD_LOG_FILE=/data/switchboard.log to also keep a file that `switchboard logs` reads here.");
          ctx.exitCode = 1;
          return;
        case "terminal":
          writeLine(ctx.io.stderr, "no log to read: without a systemd unit the gateway logs to the terminal it was started from. Install it as a service (switchboard service install), or start it with SWITCHBOARD_LOG_FILE=<path> to keep a file that `switchboard logs` reads.");
          ctx.exitCode = 1;
          return;
      }
    });
}
