// Logger factory. Readable lines on a terminal, JSON lines under systemd or
// Docker (with journald priorities under systemd). Secrets are redacted by
// key name wherever they appear.
import { fstatSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { Writable } from "node:stream";
import { pino, type Logger, type DestinationStream } from "pino";
import { createRequire } from "node:module";
import { SwitchboardError } from "./errors.ts";
import { redact } from "./redact.ts";

export type { Logger };

/** Key names whose values never reach a log line. */
export const REDACT_PATHS = [
  "api_key",
  "apiKey",
  "api_keys",
  "apiKeys",
  "token",
  "app_secret",
  "appSecret",
  "secret",
  "password",
  "authorization",
  "Authorization",
  "encrypt_key",
  "verification_token",
  "*.api_key",
  "*.apiKey",
  "*.api_keys",
  "*.apiKeys",
  "*.token",
  "*.app_secret",
  "*.secret",
  "*.password",
  "*.authorization",
  "*.Authorization",
  "*.encrypt_key",
  "*.verification_token",
  "headers.authorization",
  "headers.Authorization",
  'headers["x-api-key"]',
  'headers["api-key"]',
  "*.headers.authorization",
  'req.headers["x-api-key"]',
  "req.headers.authorization",
];

export interface LoggerOptions {
  level?: string;
  /** "pretty" for people, "json" for machines; default: pretty on a TTY */
  format?: "pretty" | "json";
  destination?: DestinationStream;
  name?: string;
  /** default process.env */
  env?: NodeJS.ProcessEnv;
  /** also receives every JSON line (the gateway's control page keeps the recent ones) */
  tap?: DestinationStream;
}

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

/** syslog priority per pino level number: what journald files each line under */
export function syslogPriority(level: number): number {
  if (level >= 60) return 2; // fatal → crit
  if (level >= 50) return 3; // error → err
  if (level >= 40) return 4; // warn → warning
  if (level >= 30) return 6; // info → info
  return 7; // debug, trace → debug
}

/**
 * True when stderr is the stream systemd connected to journald: JOURNAL_STREAM
 * names its device and inode, so a stderr redirected elsewhere (a pipe, a
 * file) under systemd is told apart.
 */
export function stderrIsJournal(env: NodeJS.ProcessEnv = process.env, fd = 2): boolean {
  const js = env.JOURNAL_STREAM;
  if (!js) return false;
  const [dev, ino] = js.split(":");
  try {
    const st = fstatSync(fd);
    return String(st.dev) === dev && String(st.ino) === ino;
  } catch {
    return false;
  }
}

/**
 * Writes log lines to a file descriptor without ever blocking shutdown: a
 * closed reader (EPIPE, e.g. `| head`) stops the logging, a full
 * non-blocking pipe (EAGAIN) drops the line instead of retrying forever.
 * With `journal`, each line starts with its syslog priority (`<4>`), which
 * journald strips and uses (SyslogLevelPrefix=, on by default).
 */
export class FdLogStream extends Writable {
  private broken = false;
  dropped = 0;
  private readonly fd: number;
  private readonly journal: boolean;
  constructor(fd: number, journal = false) {
    super({ decodeStrings: false });
    this.fd = fd;
    this.journal = journal;
  }

  override _write(chunk: string | Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.writeLine(typeof chunk === "string" ? chunk : chunk.toString("utf8"));
    done();
  }

  /** pino calls write(line) directly; keep it synchronous and total */
  override write(chunk: unknown, encOrCb?: unknown, cb?: unknown): boolean {
    this.writeLine(typeof chunk === "string" ? chunk : String(chunk));
    const callback = typeof encOrCb === "function" ? encOrCb : cb;
    if (typeof callback === "function") (callback as () => void)();
    return true;
  }

  private writeLine(line: string): void {
    if (this.broken) return;
    const text = this.journal ? prefixPriority(line) : line;
    try {
      writeSync(this.fd, text);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") this.dropped++;
      else this.broken = true; // EPIPE, EBADF, …: nobody reads any more
    }
  }
}

/** `{"level":40,…}` → `<4>{"level":40,…}`; pretty lines are prefixed by their word */
function prefixPriority(line: string): string {
  const m = /"level":(\d+)/.exec(line.slice(0, 40));
  if (m) return `<${syslogPriority(Number(m[1]))}>${line}`;
  const w = /\b(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\b/.exec(line.slice(0, 60));
  const num: Record<string, number> = { TRACE: 10, DEBUG: 20, INFO: 30, WARN: 40, ERROR: 50, FATAL: 60 };
  return w ? `<${syslogPriority(num[w[1]!]!)}>${line}` : line;
}

function openLogFile(file: string): number {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    return openSync(file, "a", 0o600);
  } catch (err) {
    throw new SwitchboardError("usage", `cannot open the log file ${file} (SWITCHBOARD_LOG_FILE): ${(err as Error).message}`);
  }
}

/** NO_COLOR (https://no-color.org): any non-empty value turns colours off */
export function colorAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return !env.NO_COLOR && env.TERM !== "dumb";
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const env = opts.env ?? process.env;
  const level = opts.level ?? env.SWITCHBOARD_LOG_LEVEL ?? env.LOG_LEVEL ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new SwitchboardError("usage", `log level "${level}" is not one of ${LOG_LEVELS.join(", ")} (--log-level or SWITCHBOARD_LOG_LEVEL)`);
  }
  const envFormat = env.SWITCHBOARD_LOG_FORMAT;
  const journal = stderrIsJournal(env);
  const format =
    opts.format ??
    (envFormat === "json" || envFormat === "pretty" ? envFormat : undefined) ??
    (process.stderr.isTTY && !env.INVOCATION_ID && !journal ? "pretty" : "json");
  const base = {
    level,
    name: opts.name ?? "switchboard",
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    // every line, whatever field or message carries it, loses the config's secrets (core/redact.ts)
    hooks: { streamWrite: (line: string) => redact(line) },
  };
  if (opts.destination) return pino(base, withTap(opts.destination, opts.tap, level));
  // SWITCHBOARD_LOG_FILE: JSON lines appended to a file (`switchboard logs` reads it)
  const file = env.SWITCHBOARD_LOG_FILE?.trim();
  if (file) return pino(base, withTap(new FdLogStream(openLogFile(file)), opts.tap, level));
  const out = new FdLogStream(2, journal);
  if (format === "pretty") {
    // loaded only for a person's terminal; pino-pretty is CommonJS
    const pinoPretty = createRequire(import.meta.url)("pino-pretty") as typeof import("pino-pretty");
    const pretty = pinoPretty({
      destination: out,
      colorize: colorAllowed(env) && !journal,
      translateTime: "HH:MM:ss",
      ignore: "pid,hostname,name",
      sync: true,
    });
    return pino(base, withTap(pretty, opts.tap, level));
  }
  return pino(base, withTap(out, opts.tap, level));
}

/** the log's destination, plus a second reader of the same JSON lines (the control page's live log) */
function withTap(destination: DestinationStream, tap: LoggerOptions["tap"], level: string): DestinationStream {
  if (!tap) return destination;
  return pino.multistream([
    { level: level as pino.Level, stream: destination },
    { level: level as pino.Level, stream: tap },
  ]);
}

/** A logger that writes nothing (tests, one-shot CLI commands). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

/** Show enough of a secret to tell two apart, never enough to use it. */
export { maskSecret } from "./redact.ts";
