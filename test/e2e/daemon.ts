// Runs the real gateway daemon (`switchboard gateway`) as a child process and
// finds its HTTP address in its JSON log.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BIN } from "../cli/run-cli.ts";

export interface RunningDaemon {
  child: ChildProcess;
  url: string;
  log: string[];
  /** SIGTERM and wait for exit */
  stop(): Promise<number | null>;
  /** SIGKILL (a crash) */
  kill(): Promise<void>;
}

export function writeConfig(home: string, cfg: unknown): void {
  writeFileSync(join(home, "config.json"), JSON.stringify(cfg, null, 2));
}

/** where the gateway with this pid says it listens (its run file, state/gateway.json); undefined until it wrote it */
export function runFileUrl(home: string, pid: number): string | undefined {
  try {
    const run = JSON.parse(readFileSync(join(home, "state", "gateway.json"), "utf8")) as { pid: number; url: string };
    return run.pid === pid && run.url ? run.url : undefined;
  } catch {
    return undefined; // not written yet
  }
}

/**
 * `startTimeoutMs`: how long the daemon may take to say where it listens (default 15 s); a daemon that did not is killed.
 * `runFilePollMs`: how often the run file is read when the log is too quiet to say it (default 50 ms); a bench timing
 * the start asks for less, or the time to find the file would count as start time.
 * `nodeArgs`: Node and V8 flags before the script, for the ones NODE_OPTIONS refuses (a bench weighing a V8 setting)
 */
export async function startDaemon(
  home: string,
  env: NodeJS.ProcessEnv = {},
  args: string[] = [],
  opts: { startTimeoutMs?: number; runFilePollMs?: number; nodeArgs?: readonly string[] } = {},
): Promise<RunningDaemon> {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), BIN, "gateway", "--shutdown-timeout", "5", ...args], {
    env: { PATH: process.env.PATH, SWITCHBOARD_BUNDLE: process.env.SWITCHBOARD_BUNDLE, HOME: home, SWITCHBOARD_HOME: home, SWITCHBOARD_LOG_FORMAT: "json", SWITCHBOARD_LOG_LEVEL: "info", SWITCHBOARD_GATEWAY_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL"); // not left running after the caller gave up on it
      reject(new Error(`daemon did not start:\n${log.join("\n")}`));
    }, opts.startTimeoutMs ?? 15_000);
    const onData = (d: Buffer) => {
      for (const line of d.toString().split("\n").filter(Boolean)) {
        log.push(line);
        try {
          const j = JSON.parse(line) as { msg?: string; http?: string };
          if (j.msg === "gateway started" && j.http) {
            clearTimeout(timer);
            resolve(j.http);
          }
        } catch {
          // not JSON
        }
      }
    };
    // with quieter log levels, the run file says where the gateway listens
    const poll = setInterval(() => {
      const url = runFileUrl(home, child.pid!);
      if (url) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(url);
      }
    }, opts.runFilePollMs ?? 50);
    void exited.then(() => clearInterval(poll));
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited with ${code}:\n${log.join("\n")}`));
    });
  });
  return {
    child,
    url,
    log,
    stop: async () => {
      child.kill("SIGTERM");
      return exited;
    },
    kill: async () => {
      child.kill("SIGKILL");
      await exited;
    },
  };
}

export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
