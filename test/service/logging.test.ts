// Logging as a service sees it: journald priorities, NO_COLOR, --log-level,
// one "channel" key per line, and a closed log reader never blocking shutdown.
import { spawn, spawnSync } from "node:child_process";
import { closeSync, fstatSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { syslogPriority } from "../../src/core/logger.ts";
import { BIN } from "../cli/run-cli.ts";

const LOGGER = join(import.meta.dirname, "../../src/core/logger.ts");

/** runs a tiny script that logs one line per level, stderr going to `fd` */
function logEveryLevel(env: NodeJS.ProcessEnv, stderr: number | "pipe" = "pipe") {
  const script = `const { createLogger } = await import(${JSON.stringify(LOGGER)});
const log = createLogger({ level: "debug" });
log.debug("d"); log.info("i"); log.warn("w"); log.error("e"); log.fatal("f");`;
  return spawnSync(process.execPath, ["--input-type=module", "-e", script], { env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", stderr], encoding: "utf8" });
}

describe("journald priorities", () => {
  it("maps pino levels to syslog priorities", () => {
    expect([10, 20, 30, 40, 50, 60].map(syslogPriority)).toEqual([7, 7, 6, 4, 3, 2]);
  });

  it("prefixes each line with its priority when stderr is the journal stream (JOURNAL_STREAM)", () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-journal-"));
    const file = join(dir, "stderr");
    const fd = openSync(file, "w");
    const st = fstatSync(fd);
    logEveryLevel({ JOURNAL_STREAM: `${st.dev}:${st.ino}`, INVOCATION_ID: "x" }, fd);
    closeSync(fd);
    const lines = readFileSync(file, "utf8").trim().split("\n");
    expect(lines.map((l) => l.slice(0, 3))).toEqual(["<7>", "<6>", "<4>", "<3>", "<2>"]);
    expect(JSON.parse(lines[2]!.slice(3))).toMatchObject({ level: 40, msg: "w" });
  });

  it("leaves lines alone when stderr is somewhere else than JOURNAL_STREAM says", () => {
    const r = logEveryLevel({ JOURNAL_STREAM: "1:2", INVOCATION_ID: "x" });
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(5);
    for (const l of lines) expect(l.startsWith("{")).toBe(true);
  });
});

describe("colours and levels", () => {
  it("pretty output has colours, and none with NO_COLOR", () => {
    const coloured = logEveryLevel({ SWITCHBOARD_LOG_FORMAT: "pretty" });
    expect(coloured.stderr).toContain("\x1b[");
    const plain = logEveryLevel({ SWITCHBOARD_LOG_FORMAT: "pretty", NO_COLOR: "1" });
    expect(plain.stderr).toMatch(/WARN.*w/);
    expect(plain.stderr).not.toContain("\x1b[");
  });

  it("--log-level is checked and names the allowed levels", () => {
    const r = spawnSync(process.execPath, [BIN, "--log-level", "loud", "status"], { encoding: "utf8", env: { PATH: process.env.PATH, HOME: tmpdir() } });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--log-level must be one of trace, debug, info, warn, error, fatal, silent");
  });
});

describe("a log reader that goes away", () => {
  it("`gateway 2>&1 | head -3` then SIGTERM: the gateway still stops within its deadline", async () => {
    const home = mkdtempSync(join(tmpdir(), "sb-epipe-"));
    const child = spawn(process.execPath, [BIN, "gateway", "--shutdown-timeout", "3"], {
      env: { PATH: process.env.PATH, HOME: home, SWITCHBOARD_HOME: home, SWITCHBOARD_LOG_LEVEL: "debug", SWITCHBOARD_LOG_FORMAT: "json", SWITCHBOARD_GATEWAY_PORT: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    // like head -3: read three lines, then close the read end of the pipe
    let seen = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no log lines: ${seen}`)), 15_000);
      child.stderr.on("data", (d: Buffer) => {
        seen += d.toString();
        if (seen.includes("gateway started")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.stderr.destroy();
    child.stdout.destroy();
    child.kill("SIGTERM");
    const deadline = new Promise<"stuck">((resolve) => setTimeout(() => resolve("stuck"), 10_000).unref());
    const outcome = await Promise.race([exited, deadline]);
    if (outcome === "stuck") child.kill("SIGKILL");
    expect(outcome).toBe(0);
  });
});
