// Typed errors with closed codes. Every error a user can see carries a code
// and a message that says what was wrong and how to fix it.

export type ErrorCode =
  | "config_invalid"
  | "config_unreadable"
  | "usage"
  | "not_found"
  | "all_candidates_failed"
  | "store"
  | "internal";

/** Exit code for a configuration error (sysexits EX_CONFIG). systemd does not restart on it. */
export const EXIT_CONFIG = 78;

export class SwitchboardError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  constructor(code: ErrorCode, message: string, opts: { exitCode?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "SwitchboardError";
    this.code = code;
    this.exitCode = opts.exitCode ?? 1;
  }
}

export interface ConfigProblem {
  /** dotted key path, e.g. "model_list[2].request_timeout" */
  path: string;
  message: string;
  /** how to fix it */
  hint?: string;
}

export class ConfigError extends SwitchboardError {
  readonly problems: ConfigProblem[];
  readonly file: string | undefined;
  constructor(problems: ConfigProblem[], file?: string) {
    const where = file ? ` in ${file}` : "";
    const lines = problems.map((p) => `  - ${p.path || "(root)"}: ${p.message}${p.hint ? ` (fix: ${p.hint})` : ""}`);
    super("config_invalid", `invalid configuration${where}:\n${lines.join("\n")}`, { exitCode: EXIT_CONFIG });
    this.name = "ConfigError";
    this.problems = problems;
    this.file = file;
  }
}

/** The message of anything thrown: an Error's own message, anything else as text. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
