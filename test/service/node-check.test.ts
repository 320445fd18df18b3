// The entry point under an old system Node: it hands over to the install's
// Node 24, or says exactly what to do when there is none.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN } from "../cli/run-cli.ts";

/** a Node older than 24 on this machine (the distro's), if there is one */
function oldNode(): string | undefined {
  for (const candidate of ["/usr/bin/node", "/usr/local/bin/node", "/bin/node"]) {
    if (!existsSync(candidate)) continue;
    const v = execFileSync(candidate, ["-p", "process.versions.node"]).toString().trim();
    if (Number(v.split(".")[0]) < 24) return candidate;
  }
  return undefined;
}

const old = oldNode();
/** the sources, as every test runs them: a dist/ older than an edit would add its notice to stderr */
const SOURCES = { SWITCHBOARD_BUNDLE: "off" };

describe.skipIf(!old)("bin/switchboard.js on an older Node", () => {
  it("runs the command under the Node 24 the install provides", () => {
    const r = spawnSync(old!, [BIN, "version"], { encoding: "utf8", env: { PATH: "/usr/bin:/bin", ...SOURCES } });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^switchboard \S+ \(node 24\./);
  });

  it("passes the exit code through", () => {
    const r = spawnSync(old!, [BIN, "no-such-command"], { encoding: "utf8", env: { PATH: "/usr/bin:/bin", ...SOURCES } });
    expect(r.status).toBe(2);
  });

  it("without a bundled Node 24, says which Node it found and how to fix it (no SyntaxError)", () => {
    const dir = mkdtempSync(join(tmpdir(), "sb-nodecheck-"));
    mkdirSync(join(dir, "bin"));
    copyFileSync(BIN, join(dir, "bin", "switchboard.js"));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    const r = spawnSync(old!, [join(dir, "bin", "switchboard.js"), "gateway"], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).not.toMatch(/SyntaxError/);
    expect(r.stderr).toContain("needs Node 24");
    expect(r.stderr).toContain(old!);
    expect(r.stderr).toContain("npm ci --omit=dev");
    expect(r.stderr).toContain(join(dir, "node_modules", "node", "bin", "node"));
  });
});

describe("the install's Node", () => {
  it("is Node 24 from the node package, a real executable npm start puts first on PATH", () => {
    const bundled = join(import.meta.dirname, "../../node_modules/node/bin/node");
    const v = execFileSync(bundled, ["-p", "process.versions.node"]).toString().trim();
    expect(Number(v.split(".")[0])).toBe(24);
    expect(existsSync(join(import.meta.dirname, "../../node_modules/.bin/node"))).toBe(true);
  });
});

describe.skipIf(!old)("the gateway started by an older Node", () => {
  it("stops cleanly on SIGTERM sent to the process a supervisor started", async () => {
    const { spawn } = await import("node:child_process");
    const home = mkdtempSync(join(tmpdir(), "sb-reexec-"));
    const child = spawn(old!, [BIN, "gateway", "--shutdown-timeout", "2"], { env: { PATH: "/usr/bin:/bin", HOME: home, SWITCHBOARD_HOME: home, SWITCHBOARD_GATEWAY_PORT: "0", SWITCHBOARD_LOG_FORMAT: "json", SWITCHBOARD_LOG_LEVEL: "info" }, stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not started: ${log}`)), 15_000);
      child.stderr.on("data", (d: Buffer) => {
        log += d.toString();
        if (log.includes("gateway started")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill("SIGTERM");
    const code = await new Promise((r) => child.on("exit", r));
    expect(code).toBe(0);
    expect(log).toContain("gateway stopped");
  });
});
