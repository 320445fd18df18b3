// `switchboard service install [--user] [--no-enable] [--print]`: writes a
// systemd unit for this installation (this Node, this checkout, this state
// directory) and enables it. `service uninstall` removes it.
import { execFile } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { homedir, userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Command } from "commander";
import { SwitchboardError } from "../core/errors.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";

const run = promisify(execFile);
const UNIT = "switchboard.service";

export interface UnitOptions {
  user: boolean;
  node: string;
  bin: string;
  home: string;
  configFile?: string;
  account?: string;
}

/** The unit text: restart on failure but never on a config error (78), hardened. */
export function renderUnit(o: UnitOptions): string {
  const env = [`Environment=SWITCHBOARD_HOME=${o.home}`, "Environment=SWITCHBOARD_LOG_FORMAT=json"];
  if (o.configFile) env.push(`Environment=SWITCHBOARD_CONFIG=${o.configFile}`);
  const hardening = [
    "NoNewPrivileges=yes",
    "PrivateTmp=yes",
    "ProtectSystem=strict",
    `ReadWritePaths=${o.home}`,
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectControlGroups=yes",
    "RestrictSUIDSGID=yes",
    "LockPersonality=yes",
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
    "UMask=0077",
  ];
  return [
    "[Unit]",
    "Description=Switchboard AI chat gateway",
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=simple",
    ...(o.user || !o.account ? [] : [`User=${o.account}`]),
    ...env,
    `ExecStart=${o.node} ${o.bin} gateway`,
    "ExecReload=/bin/kill -HUP $MAINPID",
    "Restart=on-failure",
    "RestartSec=5s",
    "RestartPreventExitStatus=78",
    "TimeoutStopSec=45s",
    ...hardening,
    "",
    "[Install]",
    `WantedBy=${o.user ? "default.target" : "multi-user.target"}`,
    "",
  ].join("\n");
}

export function unitPath(user: boolean): string {
  return user ? join(homedir(), ".config", "systemd", "user", UNIT) : join("/etc/systemd/system", UNIT);
}

export function register(program: Command, ctx: CliContext): void {
  const service = program.command("service").description("install the gateway as a systemd service");
  service
    .command("install")
    .description("write the systemd unit and enable it")
    .option("--user", "a user service (~/.config/systemd/user) instead of a system one")
    .option("--no-enable", "write the unit only")
    .option("--print", "print the unit instead of writing it")
    .action(async (opts: { user?: boolean; enable: boolean; print?: boolean }) => {
      const user = opts.user === true;
      const { resolvePaths } = await import("../config/paths.ts");
      const paths = resolvePaths(process.env, ctx.configPath);
      const bin = resolve(dirname(fileURLToPath(import.meta.url)), "../../bin/switchboard.js");
      const text = renderUnit({
        user,
        node: process.execPath,
        bin,
        home: paths.home,
        ...(ctx.configPath || process.env.SWITCHBOARD_CONFIG ? { configFile: paths.configFile } : {}),
        account: userInfo().username,
      });
      if (opts.print) {
        ctx.io.stdout.write(text);
        return;
      }
      const path = unitPath(user);
      try {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, text, { mode: 0o644 });
      } catch (err) {
        throw new SwitchboardError(
          "usage",
          `cannot write ${path}: ${(err as Error).message}. Run with sudo for a system service, or use --user`,
        );
      }
      writeLine(ctx.io.stdout, `wrote ${path}`);
      if (!opts.enable) return;
      const sc = user ? ["--user"] : [];
      try {
        await run("systemctl", [...sc, "daemon-reload"]);
        await run("systemctl", [...sc, "enable", "--now", UNIT]);
        writeLine(ctx.io.stdout, `enabled and started ${UNIT}; logs: journalctl ${user ? "--user " : ""}-u ${UNIT} -f`);
        if (user) writeLine(ctx.io.stdout, "to keep it running after you log out: loginctl enable-linger");
      } catch (err) {
        throw new SwitchboardError("usage", `wrote the unit, but systemctl failed: ${(err as Error).message.split("\n")[0]}`);
      }
    });
  service
    .command("uninstall")
    .description("stop, disable and remove the systemd unit")
    .option("--user", "the user service")
    .action(async (opts: { user?: boolean }) => {
      const user = opts.user === true;
      const sc = user ? ["--user"] : [];
      await run("systemctl", [...sc, "disable", "--now", UNIT]).catch(() => undefined);
      await rm(unitPath(user), { force: true });
      writeLine(ctx.io.stdout, `removed ${unitPath(user)}`);
    });
}
