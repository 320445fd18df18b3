// No Docker engine in CI: the Dockerfile, .dockerignore and compose file are
// linted for what a self-hoster would otherwise find out the hard way.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = join(import.meta.dirname, "../..");
const dockerfileText = readFileSync(join(ROOT, "Dockerfile"), "utf8");

/** instructions with continuation lines joined and comments dropped */
function instructions(text: string): { op: string; args: string }[] {
  const out: { op: string; args: string }[] = [];
  let buf = "";
  for (const raw of text.split("\n")) {
    const line = raw.trimEnd();
    if (!buf && (line.trim().startsWith("#") || !line.trim())) continue;
    if (line.endsWith("\\")) {
      buf += `${line.slice(0, -1)} `;
      continue;
    }
    buf += line;
    const m = /^\s*([A-Z]+)\s+([\s\S]*)$/.exec(buf);
    if (!m) throw new Error(`not a Dockerfile instruction: ${buf}`);
    out.push({ op: m[1]!, args: m[2]!.trim() });
    buf = "";
  }
  return out;
}

const ins = instructions(dockerfileText);
const finalStage = ins.slice(ins.map((i) => i.op).lastIndexOf("FROM"));
const all = (op: string) => finalStage.filter((i) => i.op === op).map((i) => i.args);
const one = (op: string) => {
  const found = all(op);
  expect(found, op).toHaveLength(1);
  return found[0]!;
};

describe("Dockerfile", () => {
  it("has no syntax directive (BuildKit would pull a frontend image, failing offline)", () => {
    expect(dockerfileText).not.toMatch(/^#\s*syntax\s*=/im);
  });

  it("builds on Node 24 and copies only files that exist", () => {
    for (const from of ins.filter((i) => i.op === "FROM")) expect(from.args).toMatch(/^node:24[-.]/);
    for (const copy of ins.filter((i) => i.op === "COPY" && !i.args.startsWith("--from"))) {
      const sources = copy.args.split(/\s+/).slice(0, -1);
      for (const s of sources) expect(existsSync(join(ROOT, s)), s).toBe(true);
    }
  });

  it("runs under an init (tini) as PID 1, as a non-root user, with SIGTERM to stop", () => {
    const entry = JSON.parse(one("ENTRYPOINT")) as string[];
    expect(entry.slice(0, 2)).toEqual(["/usr/bin/tini", "--"]);
    expect(all("RUN").join("\n")).toMatch(/apt-get install[^\n]*\btini\b/);
    expect(one("USER")).toBe("node");
    expect(one("STOPSIGNAL")).toBe("SIGTERM");
    const cmd = JSON.parse(one("CMD")) as string[];
    expect(cmd[0]).toBe("gateway");
  });

  it("listens on 0.0.0.0 inside the container (the gateway then insists on a token)", () => {
    expect(all("ENV").join(" ")).toMatch(/SWITCHBOARD_GATEWAY_HOST=0\.0\.0\.0/);
    const server = readFileSync(join(ROOT, "src/http/server.ts"), "utf8");
    expect(server).toMatch(/refusing to listen on .* without gateway\.token/);
  });

  it("puts switchboard on PATH and health-checks readiness through the run file (any configured port)", () => {
    expect(all("RUN").join("\n")).toMatch(/ln -s \/app\/bin\/switchboard\.js \/usr\/local\/bin\/switchboard/);
    const hc = one("HEALTHCHECK");
    const cmd = JSON.parse(hc.slice(hc.indexOf("CMD") + 3).trim()) as string[];
    expect(cmd).toEqual(["switchboard", "status", "--ready"]);
    expect(hc).not.toMatch(/18790/);
  });

  it("does not ship the bundled Node twice (the image has its own Node 24)", () => {
    expect(ins.filter((i) => i.op === "RUN").map((i) => i.args).join("\n")).toMatch(/npm ci --omit=dev[\s\S]*rm -rf node_modules\/node /);
  });
});

describe(".dockerignore", () => {
  it("keeps node_modules, git, tests, secrets and databases out of the build context", () => {
    const path = join(ROOT, ".dockerignore");
    expect(existsSync(path)).toBe(true);
    const lines = readFileSync(path, "utf8").split("\n").map((l) => l.trim());
    for (const pattern of ["node_modules", ".git", "test", ".env", "*.db", "config.json"]) expect(lines, pattern).toContain(pattern);
    // and nothing the Dockerfile copies is ignored
    for (const needed of ["bin", "src", "channels", "config", "package.json", "package-lock.json"]) expect(lines).not.toContain(needed);
  });
});

describe("config/compose.yaml", () => {
  const compose = parse(readFileSync(join(ROOT, "config/compose.yaml"), "utf8")) as { services: Record<string, Record<string, unknown>>; volumes: Record<string, unknown> };
  const svc = compose.services.switchboard!;

  function seconds(v: unknown): number {
    const m = /^(\d+)(s|m)$/.exec(String(v));
    if (!m) throw new Error(`not a duration: ${String(v)}`);
    return Number(m[1]) * (m[2] === "m" ? 60 : 1);
  }

  it("gives running turns their shutdown deadline before Docker kills the container", () => {
    const cmd = JSON.parse(one("CMD")) as string[];
    const deadline = Number(cmd[cmd.indexOf("--shutdown-timeout") + 1]);
    expect(deadline).toBeGreaterThan(0);
    expect(seconds(svc.stop_grace_period)).toBeGreaterThan(deadline);
    expect(svc.stop_signal).toBe("SIGTERM");
  });

  it("requires the token, pins the container port and publishes on the host's loopback only", () => {
    const env = svc.environment as Record<string, string>;
    expect(env.SWITCHBOARD_GATEWAY_TOKEN).toMatch(/^\$\{SWITCHBOARD_GATEWAY_TOKEN:\?/);
    expect(env.SWITCHBOARD_GATEWAY_PORT).toBe("18790");
    for (const p of svc.ports as string[]) expect(p).toMatch(/^127\.0\.0\.1:.*:18790$/);
  });

  it("uses no syntax newer than Compose 2.0 / docker-compose 1.27 (no env_file path/required form, no version key)", () => {
    expect(compose).not.toHaveProperty("version");
    const envFile = svc.env_file;
    if (envFile !== undefined) for (const e of [envFile].flat()) expect(typeof e).toBe("string");
    expect(existsSync(join(ROOT, "config", String((svc.build as { context: string }).context), String((svc.build as { dockerfile: string }).dockerfile)))).toBe(true);
    expect(Object.keys(compose.volumes)).toContain("switchboard-data");
  });
});
