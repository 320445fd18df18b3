// Runs a shell-command cron job: one `sh -c` in its own process group, a
// timeout on the injected clock, output captured and capped.
import { spawn } from "node:child_process";
import type { Clock } from "../core/clock.ts";

export interface ShellResult {
  status: "ok" | "error" | "timeout";
  exitCode: number | null;
  /** stdout and stderr interleaved, at most maxOutputBytes (a marker says when cut) */
  output: string;
  truncated: boolean;
  /** one sentence for the job's last_error; absent when status is "ok" */
  error?: string;
}

export interface ShellOptions {
  timeoutMs: number;
  clock: Clock;
  maxOutputBytes?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

export const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024;

export function runShellCommand(command: string, opts: ShellOptions): Promise<ShellResult> {
  const cap = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    let timedOut = false;
    let aborted = false;
    let settled = false;
    const timer = new AbortController();

    const child = spawn("/bin/sh", ["-c", command], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // own process group, so a timeout kills the whole pipeline
    });

    const collect = (buf: Buffer): void => {
      if (size >= cap) {
        truncated = true;
        return;
      }
      const room = cap - size;
      const part = buf.length > room ? buf.subarray(0, room) : buf;
      if (part.length < buf.length) truncated = true;
      chunks.push(part);
      size += part.length;
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);

    const kill = (): void => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    const onAbort = (): void => {
      aborted = true;
      kill();
    };
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();

    opts.clock.sleep(opts.timeoutMs, timer.signal).then(
      () => {
        if (settled) return;
        timedOut = true;
        kill();
      },
      () => {},
    );

    const finish = (exitCode: number | null, spawnError?: Error): void => {
      if (settled) return;
      settled = true;
      timer.abort();
      opts.signal?.removeEventListener("abort", onAbort);
      let output = Buffer.concat(chunks).toString("utf8");
      if (truncated) output += `\n[output truncated at ${cap} bytes]`;
      const base = { exitCode, output, truncated };
      if (spawnError) {
        resolve({ ...base, status: "error", error: `the command could not start: ${spawnError.message}` });
      } else if (timedOut) {
        const minutes = opts.timeoutMs / 60_000;
        const limit = minutes >= 1 ? `${+minutes.toFixed(2)} minute(s)` : `${opts.timeoutMs} ms`;
        resolve({ ...base, status: "timeout", error: `the command was stopped after ${limit} (tools.cron.exec_timeout_minutes)` });
      } else if (aborted) {
        resolve({ ...base, status: "error", error: "the command was stopped because the scheduler shut down" });
      } else if (exitCode === 0) {
        resolve({ ...base, status: "ok" });
      } else {
        resolve({ ...base, status: "error", error: `the command exited with status ${exitCode ?? "unknown (killed by a signal)"}` });
      }
    };
    child.on("error", (err) => finish(null, err));
    child.on("close", (code) => finish(code));
  });
}
