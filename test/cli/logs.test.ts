// `switchboard logs` reads the log wherever it goes: a log file (with --level
// and -f), the journal through journalctl (priority from --level), and
// explains itself in a container or without a service.
import { spawn } from "node:child_process";
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { journalctlArgs } from "../../src/cli/logs.ts";
import { waitFor } from "../e2e/daemon.ts";
import { BIN, runCli } from "./run-cli.ts";

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "sb-logs-"));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const line = (level: number, msg: string) => `${JSON.stringify({ level, time: Date.now(), name: "switchboard", msg })}\n`;

describe("switchboard logs with SWITCHBOARD_LOG_FILE", () => {
  it("the gateway writes its log there, and logs --level warn shows only warnings and errors", async () => {
    const file = join(home, "log", "switchboard.log");
    // a real daemon writes the file
    const child = spawn(process.execPath, [BIN, "gateway", "--shutdown-timeout", "2"], { env: { PATH: process.env.PATH, HOME: home, SWITCHBOARD_HOME: home, SWITCHBOARD_GATEWAY_PORT: "0", SWITCHBOARD_LOG_FILE: file, SWITCHBOARD_LOG_LEVEL: "info" }, stdio: "ignore" });
    await waitFor(() => { try { return readFileSync(file, "utf8").includes("gateway started") || undefined; } catch { return undefined; } }, "the log file", 15_000);
    child.kill("SIGTERM");
    await new Promise((r) => child.on("exit", r));
    appendFileSync(file, line(40, "a warning") + line(30, "just info") + line(50, "an error"));
    const r = await runCli(["logs", "--level", "warn"], { HOME: home, SWITCHBOARD_LOG_FILE: file });
    expect(r.code).toBe(0);
    const msgs = r.stdout.trim().split("\n").map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs).toContain("a warning");
    expect(msgs).toContain("an error");
    expect(msgs).not.toContain("just info");
    expect(msgs).not.toContain("gateway started");
    const all = await runCli(["logs", "-n", "2"], { HOME: home, SWITCHBOARD_LOG_FILE: file });
    expect(all.stdout.trim().split("\n")).toHaveLength(2);
  });

  it("-f prints lines as they are appended", async () => {
    const file = join(home, "sb.log");
    writeFileSync(file, line(30, "old"));
    const child = spawn(process.execPath, [BIN, "logs", "-f"], { env: { PATH: process.env.PATH, HOME: home, SWITCHBOARD_LOG_FILE: file }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('"old"') || undefined, "the existing line");
    appendFileSync(file, line(40, "new one"));
    await waitFor(() => out.includes('"new one"') || undefined, "the appended line");
    child.kill("SIGINT");
    expect(await new Promise((r) => child.on("exit", r))).toBe(0);
  });
});

describe("switchboard logs under systemd", () => {
  it("runs journalctl for the unit with the level as a priority", async () => {
    // a user unit is installed; journalctl is a stand-in that records its arguments
    mkdirSync(join(home, ".config", "systemd", "user"), { recursive: true });
    writeFileSync(join(home, ".config", "systemd", "user", "switchboard.service"), "[Service]\n");
    const bin = join(home, "bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "journalctl"), `#!/bin/sh\necho "$@" > "${join(home, "args")}"\necho journal-line\n`);
    chmodSync(join(bin, "journalctl"), 0o755);
    const r = await runCli(["logs", "--level", "warn", "-n", "20"], { HOME: home, PATH: `${bin}:${process.env.PATH}` });
    expect(r.stdout).toBe("journal-line\n");
    expect(readFileSync(join(home, "args"), "utf8").trim()).toBe("--user-unit switchboard.service -o cat -n 20 -p warning");
    expect(journalctlArgs({ user: false, follow: true, lines: 5, level: "error" })).toEqual(["-u", "switchboard.service", "-o", "cat", "-n", "5", "-p", "err", "-f"]);
  });
});

describe("switchboard logs elsewhere", () => {
  it("in a container, says to read the container's output from the host", async () => {
    const r = await runCli(["logs"], { HOME: home, container: "docker" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("docker logs -f");
  });
  it("rejects an unknown level", async () => {
    const r = await runCli(["logs", "--level", "loud"], { HOME: home, SWITCHBOARD_LOG_FILE: join(home, "x.log") });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--level must be one of");
  });
});
