// The units `service install` writes, and the reference unit: unprivileged,
// hardened (systemd-analyze security ≤ 4.0 when systemd-analyze is here),
// valid (systemd-analyze verify), quoted, and running the install's Node 24.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { INSTALL_ROOT, installNode, quoteUnitArg, renderUnit } from "../../src/cli/service.ts";
import { runCli } from "../cli/run-cli.ts";

const REFERENCE = join(import.meta.dirname, "../../config/switchboard.service");
const analyze = spawnSync("systemd-analyze", ["--version"]).status === 0;

function directives(unit: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of unit.split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) map.set(m[1]!, [...(map.get(m[1]!) ?? []), m[2]!]);
  }
  return map;
}

/** systemd-analyze security's overall exposure (0 safest … 10) */
function exposure(unitText: string, name = "switchboard.service"): number {
  const dir = mkdtempSync(join(tmpdir(), "sb-unit-"));
  const file = join(dir, name);
  writeFileSync(file, unitText);
  const out = execFileSync("systemd-analyze", ["security", "--offline=true", file], { encoding: "utf8" });
  const m = /Overall exposure level for \S+: ([\d.]+)/.exec(out);
  if (!m) throw new Error(`no exposure level in:\n${out}`);
  return Number(m[1]);
}

function verify(unitText: string): { status: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), "sb-verify-"));
  const file = join(dir, "switchboard.service");
  writeFileSync(file, unitText);
  const r = spawnSync("systemd-analyze", ["verify", file], { encoding: "utf8" });
  return { status: r.status, stderr: r.stderr };
}

const HARDENING = ["NoNewPrivileges", "PrivateTmp", "ProtectSystem", "ProtectHome", "PrivateDevices", "CapabilityBoundingSet", "ProtectKernelTunables", "ProtectKernelModules", "ProtectControlGroups", "RestrictSUIDSGID", "LockPersonality", "RestrictAddressFamilies", "UMask"];

describe("the system unit `service install` writes", () => {
  const home = mkdtempSync(join(tmpdir(), "sb state with space-"));
  const unit = renderUnit({ user: false, node: installNode(), bin: join(INSTALL_ROOT, "bin", "switchboard.js"), home, shutdownSeconds: 30 });
  const d = directives(unit);

  it("runs as the dedicated unprivileged account, never root", () => {
    expect(d.get("User")).toEqual(["switchboard"]);
    expect(d.get("Group")).toEqual(["switchboard"]);
  });

  it("has every hardening directive of the reference unit plus ProtectHome, PrivateDevices and an empty CapabilityBoundingSet", () => {
    const reference = directives(readFileSync(REFERENCE, "utf8"));
    for (const key of [...HARDENING, ...[...reference.keys()].filter((k) => /^(Protect|Private|Restrict|Lock|NoNew|SystemCall|Capability|UMask|Remove|Keyring|Device)/.test(k))]) {
      expect(d.has(key), key).toBe(true);
    }
    expect(d.get("ProtectHome")).toEqual(["yes"]);
    expect(d.get("PrivateDevices")).toEqual(["yes"]);
    expect(d.get("CapabilityBoundingSet")).toEqual([""]);
  });

  it("starts the Node 24 the install provides, with quoted paths, and waits longer than the shutdown deadline", () => {
    const exec = d.get("ExecStart")![0]!;
    expect(exec).toContain(join(INSTALL_ROOT, "node_modules", "node", "bin", "node"));
    expect(d.get("Environment")).toContain(`"SWITCHBOARD_HOME=${home}"`);
    expect(d.get("ReadWritePaths")![0]).toBe(`-"${home}"`);
    const v = execFileSync(installNode(), ["-p", "process.versions.node"]).toString().trim();
    expect(Number(v.split(".")[0])).toBe(24);
    expect(Number(/^(\d+)s$/.exec(d.get("TimeoutStopSec")![0]!)![1])).toBeGreaterThan(30);
    expect(d.get("RestartPreventExitStatus")).toEqual(["78"]);
    // the memory settings the bench measured, as in the reference unit
    for (const v of ["MALLOC_ARENA_MAX=2", "MALLOC_TRIM_THRESHOLD_=131072", "MALLOC_MMAP_THRESHOLD_=8192"]) expect(d.get("Environment")!.map((e) => e.replaceAll('"', ""))).toContain(v);
    expect(exec).toMatch(/node"? --max-semi-space-size=2 /);
    expect(readFileSync(REFERENCE, "utf8")).toMatch(/^Environment=MALLOC_ARENA_MAX=2\nEnvironment=MALLOC_TRIM_THRESHOLD_=131072\nEnvironment=MALLOC_MMAP_THRESHOLD_=8192$/m);
    expect(readFileSync(REFERENCE, "utf8")).toMatch(/^ExecStart=\S+\/node --max-semi-space-size=2 /m);
  });

  it.skipIf(!analyze)("passes systemd-analyze verify and scores ≤ 4.0 on systemd-analyze security", () => {
    const v = verify(unit);
    expect(v.stderr).toBe("");
    expect(v.status).toBe(0);
    const score = exposure(unit);
    console.log(`systemd-analyze security, system unit: ${score}`);
    expect(score).toBeLessThanOrEqual(4.0);
  });
});

describe("the user unit", () => {
  const home = mkdtempSync(join(tmpdir(), "sb-user-"));
  const unit = renderUnit({ user: true, node: installNode(), bin: join(INSTALL_ROOT, "bin", "switchboard.js"), home });
  const d = directives(unit);

  it("has no User= line, keeps the rest of the home read-only and the state writable", () => {
    expect(d.has("User")).toBe(false);
    expect(d.get("ProtectHome")).toEqual(["read-only"]);
    expect(d.get("ReadWritePaths")).toEqual([`-${home}`]);
    expect(d.get("WantedBy")).toEqual(["default.target"]);
  });

  it.skipIf(!analyze)("passes systemd-analyze verify and scores ≤ 4.0", () => {
    expect(verify(unit).status).toBe(0);
    const score = exposure(unit);
    console.log(`systemd-analyze security, user unit: ${score}`);
    expect(score).toBeLessThanOrEqual(4.0);
  });
});

describe("the reference unit config/switchboard.service", () => {
  const text = readFileSync(REFERENCE, "utf8");
  it("starts the install's Node 24, not the distro's /usr/bin/node", () => {
    expect(directives(text).get("ExecStart")![0]).toMatch(/^\/opt\/switchboard\/node_modules\/node\/bin\/node /);
  });
  it.skipIf(!analyze)("scores ≤ 4.0", () => {
    const score = exposure(text);
    console.log(`systemd-analyze security, reference unit: ${score}`);
    expect(score).toBeLessThanOrEqual(4.0);
  });
});

describe("unit file quoting", () => {
  it("quotes spaces and escapes specifiers and variables", () => {
    expect(quoteUnitArg("/opt/switchboard")).toBe("/opt/switchboard");
    expect(quoteUnitArg("/srv/my bot/state")).toBe('"/srv/my bot/state"');
    expect(quoteUnitArg("/srv/100%/$HOME")).toBe("/srv/100%%/$$HOME");
    expect(quoteUnitArg('/a "b"')).toBe('"/a \\"b\\""');
  });
});

describe("switchboard service install --print", () => {
  it("prints a system unit for this install, with the state in /var/lib/switchboard", async () => {
    const home = mkdtempSync(join(tmpdir(), "sb-svc-"));
    mkdirSync(join(home, ".config"), { recursive: true });
    const r = await runCli(["service", "install", "--print"], { HOME: home });
    expect(r.code).toBe(0);
    const d = directives(r.stdout);
    expect(d.get("User")).toEqual(["switchboard"]);
    expect(d.get("StateDirectory")).toEqual(["switchboard"]);
    expect(d.get("Environment")).toContain("SWITCHBOARD_HOME=/var/lib/switchboard");
  });
});

describe("switchboard service install --user --no-enable", () => {
  it("writes the user unit into ~/.config/systemd/user with this state directory", async () => {
    const home = mkdtempSync(join(tmpdir(), "sb-svc-user-"));
    const r = await runCli(["service", "install", "--user", "--no-enable"], { HOME: home, SWITCHBOARD_HOME: join(home, "state dir") });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const file = join(home, ".config", "systemd", "user", "switchboard.service");
    expect(r.stdout).toBe(`wrote ${file}\n`);
    const d = directives(readFileSync(file, "utf8"));
    expect(d.get("Environment")).toContain(`"SWITCHBOARD_HOME=${join(home, "state dir")}"`);
    expect(d.has("User")).toBe(false);
  });
});
