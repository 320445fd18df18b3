// The gateway's memory settings (src/cli/service.ts) are the same wherever it
// is started for real: the unit `service install` writes, the reference unit,
// the Docker image and `npm start`. The MALLOC_ variables are read by glibc when the
// process starts, so they must be in the environment before Node runs: the test
// starts `npm start` and reads the running gateway's environment and arguments.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { INSTALL_ROOT, MEMORY_ENV, MEMORY_NODE_FLAGS, renderUnit } from "../../src/cli/service.ts";
import { waitFor } from "../e2e/daemon.ts";

const flags = MEMORY_NODE_FLAGS.split(" ");
const read = (file: string) => readFileSync(join(INSTALL_ROOT, file), "utf8");
const linux = existsSync("/proc/self/environ");
const npm = spawnSync("npm", ["--version"], { encoding: "utf8" }).status === 0;

describe("memory settings", () => {
  it("are the same in the generated unit, the reference unit, the Docker image and npm start", () => {
    expect(MEMORY_ENV).toEqual(["MALLOC_ARENA_MAX=2", "MALLOC_TRIM_THRESHOLD_=131072", "MALLOC_MMAP_THRESHOLD_=8192"]);
    expect(flags).toEqual(["--max-semi-space-size=2", "--max-old-space-size=512"]);
    const unit = renderUnit({ user: true, node: "/opt/sb/node", bin: "/opt/sb/bin/switchboard.js", home: "/var/lib/sb" });
    for (const text of [unit, read("config/switchboard.service")]) {
      for (const e of MEMORY_ENV) expect(text).toMatch(new RegExp(`^Environment=${e}$`, "m"));
      expect(text).toMatch(new RegExp(`^ExecStart=\\S+/node ${MEMORY_NODE_FLAGS} \\S+/bin/switchboard\\.js gateway`, "m"));
    }
    const docker = read("Dockerfile");
    for (const e of MEMORY_ENV) expect(docker).toMatch(new RegExp(`^ENV (?:[^\\n]*\\\\\\n)*?\\s*${e} `, "m"));
    const entry = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(docker)![1]!) as string[];
    expect(entry.slice(entry.indexOf("node"), entry.indexOf("node") + 1 + flags.length + 1)).toEqual(["node", ...flags, "/app/bin/switchboard.js"]);
    const pkg = JSON.parse(read("package.json")) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe(`${MEMORY_ENV.join(" ")} node ${MEMORY_NODE_FLAGS} bin/switchboard.js gateway`);
  });

  it.skipIf(!linux || !npm)("reach the gateway that npm start runs", async () => {
    const home = mkdtempSync(join(tmpdir(), "sb-npm-start-"));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      SWITCHBOARD_HOME: home,
      SWITCHBOARD_GATEWAY_PORT: "0",
      SWITCHBOARD_LOG_LEVEL: "warn",
      // npm itself stays off the network
      npm_config_update_notifier: "false",
      npm_config_audit: "false",
      npm_config_fund: "false",
    };
    const child = spawn("npm", ["start", "--silent"], { cwd: INSTALL_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    const output: string[] = [];
    child.stdout.on("data", (d: Buffer) => output.push(d.toString()));
    child.stderr.on("data", (d: Buffer) => output.push(d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    let pid: number | undefined;
    try {
      pid = await waitFor(() => {
        if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output.join("")}`);
        try {
          return (JSON.parse(readFileSync(join(home, "state", "gateway.json"), "utf8")) as { pid: number }).pid;
        } catch {
          return undefined; // not written yet
        }
      }, "the gateway started by npm start", 60_000);
      const environ = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
      for (const e of MEMORY_ENV) expect(environ).toContain(e);
      const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      expect(argv.slice(1, 1 + flags.length)).toEqual(flags);
      expect(argv.slice(1 + flags.length, 3 + flags.length)).toEqual(["bin/switchboard.js", "gateway"]);
    } finally {
      if (pid) process.kill(pid, "SIGTERM");
      else child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      rmSync(home, { recursive: true, force: true });
    }
    expect(await exited).toBe(0);
  }, 90_000);
});
