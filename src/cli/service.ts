// `switchboard service install [--user] [--no-enable] [--print]`: writes a
// hardened systemd unit for this installation (the Node 24 the install
// provides, this checkout, this state directory) and enables it. A system
// unit runs as a dedicated unprivileged account, created when missing.
// `service uninstall` removes the unit.
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, lchownSync, lstatSync, mkdirSync, readdirSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Command } from "commander";
import { SwitchboardError } from "../core/errors.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";

const run = promisify(execFile);
const UNIT = "switchboard.service";
// Memory settings of the gateway under systemd, in the Docker image and for `npm start`: two glibc
// malloc arenas instead of one per thread; V8's young generation capped at 2 MB semi-spaces
// instead of growing to 16 MB; and an old-generation limit of 512 MB, which also makes V8 grow the
// heap by ~1.4× its live size between full collections instead of up to 4× (the factor it uses when
// the limit is the several GB a large machine gets by default). Measured against the fakes
// (bench/README.md): idle 177 → 148 MB, and after a 10,000-message burst 344 → 191 MB.
// Semi-spaces of 2 MB (stop 20): once a polling channel reads only what the turn slots can take
// soon, a message's objects die young, and a smaller young generation costs no CPU the bench can
// see (0.22–0.25 ms per message either way, and none in a start: 20 alternating starts each) while
// a burst ends ~5 MB lower (50,000 messages: 4 MB 127–132 MB, 2 MB 123–128 MB). 4 MB had replaced
// 8 MB in stop 13 on the same grounds.
// MALLOC_TRIM_THRESHOLD_ fixes the free space glibc keeps at the top of an arena at 128 KB: left
// to itself it raises that bound to twice the largest block it has given back to the system (V8
// frees blocks of several MB while it starts), and then kept 14 MB more of start-up garbage at idle
// in most starts (idle 115–130 MB, mostly 130, → 114–122 MB; bench/README.md).
// MALLOC_MMAP_THRESHOLD_ gives blocks of 8 KB and more their own mapping, returned to the system
// when freed. V8's compilers take their working memory in blocks of 8 to 32 KB (a compile's first
// blocks are the small ones) and give it back when a function is compiled; at a burst's start the
// optimising compiles held ~16 MB at once (heaptrack), and in the arenas those blocks stayed
// resident, scattered between live ones that trimming cannot pass. 32 KB (stop 15) returned the
// largest blocks; 8 KB returns them all: a 50,000-message burst ends ~4 MB lower again (settled
// 107–108 → 103–104 MB). Its price is paid in a start, whose compiles map and unmap each block:
// ~30 ms more CPU by /ready for 32 KB, ~10 more for 8 KB (mostly on the compiler threads; 20
// alternating starts each). Per message it is a fraction of an mmap and munmap pair per HTTP
// round trip, below the runs' noise (bench/README.md).
// Each entry is one variable; glibc reads them when the process starts, so they must be in the
// environment before Node runs, not set by it.
export const MEMORY_ENV: readonly string[] = ["MALLOC_ARENA_MAX=2", "MALLOC_TRIM_THRESHOLD_=131072", "MALLOC_MMAP_THRESHOLD_=8192"];
export const MEMORY_NODE_FLAGS = "--max-semi-space-size=2 --max-old-space-size=512";
/** the account a system unit runs as */
export const SERVICE_ACCOUNT = "switchboard";
/** where a system unit keeps its state (systemd's StateDirectory=switchboard) */
export const SYSTEM_STATE_DIR = "/var/lib/switchboard";
/** the install's root: bin/, src/, node_modules/ */
export const INSTALL_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface UnitOptions {
  user: boolean;
  /** the Node 24 executable */
  node: string;
  /** bin/switchboard.js */
  bin: string;
  /** SWITCHBOARD_HOME */
  home: string;
  configFile?: string;
  /** the account of a system unit; default "switchboard" */
  account?: string;
  /** seconds the gateway gets to finish turns; TimeoutStopSec adds margin */
  shutdownSeconds?: number;
}

/** The Node 24 this install provides (the `node` npm package), else the running one. */
export function installNode(root = INSTALL_ROOT, running = process.execPath): string {
  const bundled = join(root, "node_modules", "node", "bin", "node");
  return existsSync(bundled) ? bundled : running;
}

/**
 * A value in a unit file: `%` is a specifier and `$` a variable to systemd,
 * so both are doubled; anything with spaces, quotes or backslashes is put in
 * double quotes with C escapes.
 */
export function quoteUnitArg(value: string): string {
  const escaped = value.replace(/%/g, "%%").replace(/\$/g, "$$$$");
  if (!/[\s"'\\;]/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** The unit text: restart on failure but never on a config error (78), hardened to ≤ 4.0 exposure. */
export function renderUnit(o: UnitOptions): string {
  const shutdown = o.shutdownSeconds ?? 30;
  const env = [`SWITCHBOARD_HOME=${o.home}`, "SWITCHBOARD_LOG_FORMAT=json", ...MEMORY_ENV];
  if (o.configFile) env.push(`SWITCHBOARD_CONFIG=${o.configFile}`);
  const systemState = !o.user && o.home === SYSTEM_STATE_DIR;
  const rw = [o.home, ...(o.configFile && !o.configFile.startsWith(`${o.home}/`) ? [dirname(o.configFile)] : [])];
  // kernel, device and privilege walls; a user manager can apply the ones
  // that need no privileges of its own, so those are the user unit's set
  const common = [
    "NoNewPrivileges=yes",
    "PrivateTmp=yes",
    "ProtectSystem=strict",
    `ReadWritePaths=${rw.map((p) => `-${quoteUnitArg(p)}`).join(" ")}`,
    "RestrictSUIDSGID=yes",
    "RestrictRealtime=yes",
    "RestrictNamespaces=yes",
    "LockPersonality=yes",
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
    "SystemCallArchitectures=native",
    "SystemCallFilter=@system-service",
    "SystemCallFilter=~@privileged @mount @debug @cpu-emulation @obsolete",
    "SystemCallErrorNumber=EPERM",
    "CapabilityBoundingSet=",
    "AmbientCapabilities=",
    "UMask=0077",
  ];
  // a user manager applies these too (through PrivateUsers)
  const kernel = [
    "PrivateDevices=yes",
    "PrivateUsers=yes",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectKernelLogs=yes",
    "ProtectControlGroups=yes",
    "ProtectClock=yes",
    "ProtectHostname=yes",
  ];
  const system = [
    ...(systemState ? ["StateDirectory=switchboard", "StateDirectoryMode=0700"] : []),
    "ProtectHome=yes",
    ...kernel,
    "DevicePolicy=closed",
    "ProtectProc=invisible",
    "RemoveIPC=yes",
    "KeyringMode=private",
  ];
  // the state directory is in the home: the rest of it stays read-only
  const user = ["ProtectHome=read-only", ...kernel];
  const account = o.account ?? SERVICE_ACCOUNT;
  return [
    "# written by `switchboard service install`; run it again to rewrite",
    "[Unit]",
    "Description=Switchboard AI chat gateway",
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=simple",
    ...(o.user ? [] : [`User=${account}`, `Group=${account}`]),
    ...env.map((e) => `Environment=${quoteUnitArg(e)}`),
    `WorkingDirectory=${quoteUnitArg(dirname(dirname(o.bin)))}`,
    `ExecStart=${quoteUnitArg(o.node)} ${MEMORY_NODE_FLAGS} ${quoteUnitArg(o.bin)} gateway --shutdown-timeout ${shutdown}`,
    "ExecReload=/bin/kill -HUP $MAINPID",
    "# restart after a crash, never after a configuration error (exit 78): that needs a person",
    "Restart=on-failure",
    "RestartSec=5s",
    "RestartPreventExitStatus=78",
    "# running turns get the shutdown deadline; systemd waits a little longer before SIGKILL",
    `TimeoutStopSec=${shutdown + 15}s`,
    "KillSignal=SIGTERM",
    "",
    ...common,
    ...(o.user ? user : system),
    "",
    "[Install]",
    `WantedBy=${o.user ? "default.target" : "multi-user.target"}`,
    "",
  ].join("\n");
}

export function unitPath(user: boolean, home = homedir()): string {
  return user ? join(home, ".config", "systemd", "user", UNIT) : join("/etc/systemd/system", UNIT);
}

/** Creates the system account (no login, no home of its own) when it does not exist. */
async function ensureAccount(name: string, home: string): Promise<{ uid: number; gid: number; created: boolean }> {
  const lookup = async () => {
    const { stdout } = await run("getent", ["passwd", name]);
    const f = stdout.trim().split(":");
    return { uid: Number(f[2]), gid: Number(f[3]) };
  };
  try {
    return { ...(await lookup()), created: false };
  } catch {
    try {
      await run("useradd", ["--system", "--user-group", "--home-dir", home, "--no-create-home", "--shell", "/usr/sbin/nologin", name]);
    } catch (err) {
      throw new SwitchboardError("usage", `cannot create the system account "${name}": ${(err as Error).message.split("\n")[0]}. Run with sudo, or install a user service with --user`);
    }
    return { ...(await lookup()), created: true };
  }
}

export function register(program: Command, ctx: CliContext): void {
  const service = program.command("service").description("install the gateway as a systemd service");
  service
    .command("install")
    .description("write the hardened systemd unit and enable it")
    .option("--user", "a user service (~/.config/systemd/user) instead of a system one")
    .option("--no-enable", "write the unit only")
    .option("--print", "print the unit instead of writing it")
    .option("--shutdown-timeout <seconds>", "how long running turns may finish on stop", "30")
    .action(async (opts: { user?: boolean; enable: boolean; print?: boolean; shutdownTimeout: string }) => {
      const user = opts.user === true;
      const { resolvePaths } = await import("../config/paths.ts");
      const paths = resolvePaths(ctx.io.env, ctx.configPath);
      const explicitHome = Boolean(ctx.io.env.SWITCHBOARD_HOME?.trim());
      // a system service keeps its state in /var/lib/switchboard unless SWITCHBOARD_HOME says otherwise
      const home = user || explicitHome ? paths.home : SYSTEM_STATE_DIR;
      const ownConfig = ctx.configPath || ctx.io.env.SWITCHBOARD_CONFIG;
      const shutdownSeconds = Math.max(1, Math.round(Number(opts.shutdownTimeout) || 30));
      const bin = join(INSTALL_ROOT, "bin", "switchboard.js");
      if (!user && /^\/(root|home)(\/|$)/.test(INSTALL_ROOT)) {
        throw new SwitchboardError("usage", `the install at ${INSTALL_ROOT} is inside a home directory, which the "${SERVICE_ACCOUNT}" account cannot read (and ProtectHome hides). Install it under /opt (e.g. git clone … /opt/switchboard && cd /opt/switchboard && npm ci --omit=dev), or use --user`);
      }
      const text = renderUnit({ user, node: installNode(), bin, home, shutdownSeconds, ...(ownConfig ? { configFile: paths.configFile } : {}) });
      if (opts.print) {
        ctx.io.stdout.write(text);
        return;
      }
      const path = unitPath(user);
      if (!user) {
        const acct = await ensureAccount(SERVICE_ACCOUNT, home);
        if (acct.created) writeLine(ctx.io.stdout, `created the system account ${SERVICE_ACCOUNT}`);
        mkdirSync(home, { recursive: true, mode: 0o700 });
        // the config you set up as yourself moves in with the service (once)
        const target = join(home, "config.json");
        if (!ownConfig && home !== paths.home && existsSync(paths.configFile) && !existsSync(target)) {
          copyFileSync(paths.configFile, target);
          writeLine(ctx.io.stdout, `copied ${paths.configFile} to ${target}`);
        }
        chownTree(home, acct.uid, acct.gid);
      }
      try {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, text, { mode: 0o644 });
      } catch (err) {
        throw new SwitchboardError("usage", `cannot write ${path}: ${(err as Error).message}. Run with sudo for a system service, or use --user`);
      }
      writeLine(ctx.io.stdout, `wrote ${path}`);
      if (!opts.enable) return;
      const sc = user ? ["--user"] : [];
      try {
        await run("systemctl", [...sc, "daemon-reload"]);
        await run("systemctl", [...sc, "enable", "--now", UNIT]);
        writeLine(ctx.io.stdout, `enabled and started ${UNIT}; logs: switchboard logs -f   (or journalctl ${user ? "--user " : ""}-u ${UNIT} -f)`);
        if (user) writeLine(ctx.io.stdout, "to keep it running after you log out: loginctl enable-linger");
      } catch (err) {
        throw new SwitchboardError("usage", `wrote the unit, but systemctl failed: ${(err as Error).message.split("\n")[0]}`);
      }
    });
  service
    .command("uninstall")
    .description("stop, disable and remove the systemd unit (the state directory stays)")
    .option("--user", "the user service")
    .action(async (opts: { user?: boolean }) => {
      const user = opts.user === true;
      const sc = user ? ["--user"] : [];
      await run("systemctl", [...sc, "disable", "--now", UNIT]).catch(() => undefined);
      await rm(unitPath(user), { force: true });
      writeLine(ctx.io.stdout, `removed ${unitPath(user)}`);
    });
}

/** the state directory and what is in it belong to the service account */
function chownTree(dir: string, uid: number, gid: number): void {
  lchownSync(dir, uid, gid);
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (lstatSync(p).isDirectory()) chownTree(p, uid, gid);
    else lchownSync(p, uid, gid);
  }
}
