// Running one shell command for the exec tool. With sandbox "bwrap" the
// command runs under bubblewrap: every namespace unshared (network too,
// unless allowed), the system (/usr and a few /etc files) read-only, a
// private /tmp, /proc of its own PID namespace, the workspace the only
// writable place, an empty environment but PATH/HOME/LANG. The time limit
// kills the whole sandbox; output beyond the cap is dropped and counted.
import { spawn } from "node:child_process";
import { existsSync, lstatSync, readlinkSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";

export const DEFAULT_BWRAP = "/usr/bin/bwrap";

export interface RunOptions {
  command: string;
  workspaceDir: string;
  sandbox: "bwrap" | "none";
  allowNetwork: boolean;
  timeoutMs: number;
  maxOutputChars: number;
  signal?: AbortSignal;
  bwrapPath?: string;
}

export interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  timedOut: boolean;
  /** characters of output that were dropped */
  dropped: number;
}

const ETC = ["alternatives", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "ssl", "ca-certificates", "passwd", "group", "nsswitch.conf", "localtime", "hosts", "mime.types"];

/** The bubblewrap arguments for a command in `workspaceDir`. */
export function bwrapArgs(workspaceDir: string, allowNetwork: boolean, command: string): string[] {
  const args = ["--unshare-all", ...(allowNetwork ? ["--share-net"] : []), "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr"];
  // /bin, /lib ... are symlinks into /usr on merged-/usr systems and directories elsewhere
  for (const top of ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]) {
    const st = lstatSync(top, { throwIfNoEntry: false });
    if (st?.isSymbolicLink()) args.push("--symlink", readlinkSync(top), top);
    else if (st?.isDirectory()) args.push("--ro-bind", top, top);
  }
  for (const f of [...ETC, ...(allowNetwork ? ["resolv.conf"] : [])]) args.push("--ro-bind-try", `/etc/${f}`, `/etc/${f}`);
  args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--bind", workspaceDir, workspaceDir, "--chdir", workspaceDir);
  args.push("--clearenv", "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin", "--setenv", "HOME", workspaceDir, "--setenv", "LANG", "C.UTF-8", "--setenv", "TMPDIR", "/tmp");
  args.push("--", "/bin/sh", "-c", command);
  return args;
}

const probes = new Map<string, Promise<string | undefined>>();

/** undefined when bubblewrap can build a sandbox here; otherwise why not and what to do. */
export function sandboxUnavailable(bwrapPath = DEFAULT_BWRAP): Promise<string | undefined> {
  let p = probes.get(bwrapPath);
  if (!p) {
    p = probe(realpathSync(tmpdir()), bwrapPath);
    probes.set(bwrapPath, p);
  }
  return p;
}

async function probe(workspaceDir: string, bwrapPath: string): Promise<string | undefined> {
  if (!existsSync(bwrapPath)) {
    return `bubblewrap is not installed (${bwrapPath} is missing): install the Debian package "bubblewrap" (apt install bubblewrap). Commands are never run unsandboxed unless tools.exec.sandbox is "none".`;
  }
  const r = await runCommand({ command: "true", workspaceDir, sandbox: "bwrap", allowNetwork: false, timeoutMs: 10_000, maxOutputChars: 2_000, bwrapPath });
  if (r.exitCode === 0) return undefined;
  return `bubblewrap cannot create a sandbox on this machine (${r.output.trim().slice(0, 200) || `exit ${r.exitCode}`}); unprivileged user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone=1), or the service's systemd unit restricts them`;
}

export function runCommand(o: RunOptions): Promise<RunResult> {
  const [file, args] = o.sandbox === "bwrap" ? [o.bwrapPath ?? DEFAULT_BWRAP, bwrapArgs(o.workspaceDir, o.allowNetwork, o.command)] : ["/bin/sh", ["-c", o.command]];
  const child = spawn(file, args, {
    cwd: o.workspaceDir,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, so the time limit kills everything it started
    env: o.sandbox === "bwrap" ? {} : { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: o.workspaceDir, LANG: "C.UTF-8" },
  });
  let output = "";
  let dropped = 0;
  const take = (chunk: Buffer) => {
    const s = chunk.toString("utf8");
    const room = o.maxOutputChars - output.length;
    if (room >= s.length) output += s;
    else {
      output += s.slice(0, Math.max(0, room));
      dropped += s.length - Math.max(0, room);
    }
  };
  child.stdout!.on("data", take);
  child.stderr!.on("data", take);
  let timedOut = false;
  const kill = () => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, o.timeoutMs);
  o.signal?.addEventListener("abort", kill, { once: true });
  return new Promise((resolve) => {
    const done = (exitCode: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      o.signal?.removeEventListener("abort", kill);
      resolve({ exitCode, signal, output, timedOut, dropped });
    };
    child.once("error", (err) => {
      output += `cannot start ${file}: ${(err as NodeJS.ErrnoException).code ?? err.message}`;
      done(null, null);
    });
    child.once("close", (code, sig) => done(code, sig));
  });
}
