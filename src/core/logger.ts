// Logger factory. Readable lines on a terminal, JSON lines under systemd or
// Docker. Secrets are redacted by key name wherever they appear.
import { pino, type Logger, type DestinationStream } from "pino";

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
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? process.env.SWITCHBOARD_LOG_LEVEL ?? process.env.LOG_LEVEL ?? "info";
  const envFormat = process.env.SWITCHBOARD_LOG_FORMAT;
  const format =
    opts.format ??
    (envFormat === "json" || envFormat === "pretty" ? envFormat : undefined) ??
    (process.stderr.isTTY && !process.env.INVOCATION_ID ? "pretty" : "json");
  const base = {
    level,
    name: opts.name ?? "switchboard",
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
  };
  if (opts.destination) return pino(base, opts.destination);
  if (format === "pretty") {
    return pino({
      ...base,
      transport: {
        target: "pino-pretty",
        options: { destination: 2, colorize: true, translateTime: "HH:MM:ss", ignore: "pid,hostname,name" },
      },
    });
  }
  return pino(base, pino.destination({ fd: 2, sync: false }));
}

/** A logger that writes nothing (tests, one-shot CLI commands). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

/** Show enough of a secret to tell two apart, never enough to use it. */
export function maskSecret(secret: string | undefined): string {
  if (!secret) return "(none)";
  if (secret.length <= 8) return "****";
  return `${secret.slice(0, 3)}…${secret.slice(-4)}`;
}
