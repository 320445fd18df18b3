// `switchboard dashboard`: where the control page is, with a one-time login
// link when the gateway has a token (the link works once, for five minutes,
// and the token itself never appears in it, in shell history or in a
// browser's). Opens it in the desktop browser when there is a desktop.
import { spawn } from "node:child_process";
import type { Command } from "commander";
import { gatewayListen } from "../gateway/listen.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";
import { connectUrl, findGateway } from "./running.ts";
import { commandSetup } from "./setup.ts";

export function register(program: Command, ctx: CliContext): void {
  program
    .command("dashboard")
    .description("print the control page's address (with a one-time login link) and open it")
    .option("--no-open", "only print the address")
    .action(async (flags: { open: boolean }) => {
      const { paths, loaded } = commandSetup(ctx, { quietWarnings: true });
      const run = findGateway(paths.home);
      if (!run) {
        writeLine(ctx.io.stderr, "switchboard: the gateway is not running; start it (switchboard gateway, or systemctl start switchboard), then run this again");
        process.exitCode = 1;
        return;
      }
      const base = connectUrl(run.url);
      const token = gatewayListen(loaded.config.gateway, ctx.io.env).token;
      let url = `${base}/ui`;
      if (token) {
        const res = await fetch(`${base}/ui/one-time`, { method: "POST", headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) }).catch((err: Error) => err);
        if (res instanceof Error || !res.ok) {
          const why = res instanceof Error ? res.message : res.status === 401 ? "it refused the token in this config (is it the one the gateway runs with?)" : `HTTP ${res.status}`;
          writeLine(ctx.io.stderr, `switchboard: could not get a login link from the gateway at ${base}: ${why}`);
          process.exitCode = 1;
          return;
        }
        const { code, path } = (await res.json()) as { code: string; path: string };
        url = `${base}${path}${encodeURIComponent(code)}`;
      }
      writeLine(ctx.io.stdout, url);
      if (token) writeLine(ctx.io.stderr, "(the link logs in once and expires in five minutes)");
      if (flags.open && hasDesktop(ctx.io.env)) openInBrowser(url);
    });
}

function hasDesktop(env: NodeJS.ProcessEnv): boolean {
  return process.platform === "darwin" || Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

function openInBrowser(url: string): void {
  const opener = process.platform === "darwin" ? "open" : "xdg-open";
  const child = spawn(opener, [url], { stdio: "ignore", detached: true });
  child.on("error", () => undefined); // no opener installed: the printed address is enough
  child.unref();
}
