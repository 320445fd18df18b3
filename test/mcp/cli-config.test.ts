// MCP config as people write it (Switchboard/OpenClaw mcp.servers, Claude
// Desktop's mcpServers, PicoClaw's tools.mcp), its migration, and the
// `switchboard mcp` and `skills` commands against the real binary.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/schema.ts";
import { importOpenclaw, importPicoclaw } from "../../src/config/migrate.ts";
import { mcpServerSpecs } from "../../src/mcp/config.ts";
import { runCli } from "../cli/run-cli.ts";
import { EVERYTHING_BIN } from "./everything.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("MCP config", () => {
  it("reads mcp.servers, mcpServers and PicoClaw's tools.mcp into one list", () => {
    const config = configSchema.parse({
      mcp: { servers: { fs: { command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"], tools: { deny: ["write_*"] }, timeout: 10 } } },
      mcpServers: { "my docs!": { url: "https://docs.example.com/mcp", headers: { Authorization: "Bearer x" } } },
      tools: { mcp: { enabled: true, servers: { remote: { enabled: true, type: "sse", url: "https://example.com/sse" }, off: { enabled: false, command: "x" } } } },
    });
    const specs = mcpServerSpecs(config);
    expect(specs.map((s) => [s.name, s.transport, s.sseFallback])).toEqual([
      ["fs", "stdio", false],
      ["my_docs", "http", true],
      ["remote", "sse", false],
    ]);
    expect(specs[0]).toMatchObject({ deny: ["write_*"], callTimeoutMs: 10_000, lazy: false });
  });

  it("says what is wrong with a server entry", () => {
    const r = configSchema.safeParse({ mcp: { servers: { bad: { args: ["x"] }, both: { command: "a", url: "http://h/" } } } });
    expect(r.success).toBe(false);
    const text = JSON.stringify(r.error!.issues.map((i) => [i.path.join("."), i.message]));
    expect(text).toContain('["mcp.servers.bad","needs \\"command\\" (a local server) or \\"url\\" (a remote one)"]');
    expect(text).toContain('mcp.servers.both.url');
  });

  it("migrates PicoClaw's tools.mcp and OpenClaw's mcp.servers", () => {
    const pico = importPicoclaw({ tools: { mcp: { enabled: true, servers: { filesystem: { enabled: true, command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"] } } } } });
    expect(pico.raw.mcp).toEqual({ servers: { filesystem: { enabled: true, command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"] } } });
    expect((pico.raw.tools as Record<string, unknown>).mcp).toBeUndefined();
    expect(pico.changes).toContain("tools.mcp.servers.filesystem moved to mcp.servers.filesystem");
    expect(configSchema.safeParse(pico.raw).success).toBe(true);

    const oc = importOpenclaw({ mcp: { servers: { "remote-tools": { url: "https://mcp.example.com", auth: "oauth", requestTimeoutMs: 20000, headers: { Authorization: "Bearer t" } }, local: { command: "node", args: ["s.js"], workingDirectory: "/srv" } } } });
    expect(oc.raw.mcp).toEqual({ servers: { "remote-tools": { url: "https://mcp.example.com", requestTimeoutMs: 20000, headers: { Authorization: "Bearer t" } }, local: { command: "node", args: ["s.js"], cwd: "/srv" } } });
    expect(oc.changes).toContain("mcp.servers.remote-tools.auth dropped (Switchboard does not support it)");
    expect(configSchema.safeParse(oc.raw).success).toBe(true);
  });
});

describe("a real PicoClaw config with MCP servers", () => {
  it("moves its tools.mcp servers to mcp.servers, all still off as they were", () => {
    const file = join(import.meta.dirname, "../fixtures/peers/picoclaw/2026-03-24-wecom-mcp.json");
    const pico = importPicoclaw(JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>);
    const servers = (pico.raw.mcp as { servers: Record<string, { enabled: boolean }> }).servers;
    expect(Object.keys(servers)).toEqual(expect.arrayContaining(["context7", "filesystem", "github"]));
    expect(Object.values(servers).every((s) => s.enabled === false)).toBe(true);
    expect(pico.changes).toContain("tools.mcp.discovery dropped (Switchboard does not support it)");
    const parsed = configSchema.safeParse(pico.raw);
    expect(parsed.success).toBe(true);
    expect(mcpServerSpecs(parsed.data!)).toEqual([]);
  });
});

describe("switchboard mcp / skills", () => {
  function home(config: unknown): { SWITCHBOARD_HOME: string } {
    const dir = mkdtempSync(join(tmpdir(), "sb-mcp-cli-"));
    dirs.push(dir);
    writeFileSync(join(dir, "config.json"), JSON.stringify(config));
    return { SWITCHBOARD_HOME: dir };
  }

  it("mcp test connects to a real server and lists its tools; list shows the servers", async () => {
    const env = home({ mcpServers: { everything: { command: process.execPath, args: [EVERYTHING_BIN, "stdio"], tools: { deny: ["get-env"] } } } });
    const ok = await runCli(["mcp", "test", "everything"], env, undefined, 40_000);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/connected; \d+ tools, \d+ offered to the model:/);
    expect(ok.stdout).toMatch(/everything__echo/);
    expect(ok.stdout).not.toMatch(/everything__get-env/);
    const list = await runCli(["mcp", "list"], env);
    expect(list.stdout).toMatch(/^everything\s+stdio: .*index\.js stdio  \[deny get-env\]/);
  }, 60_000);

  it("mcp test exits 1 with the reason for a missing command or an unknown name", async () => {
    const env = home({ mcp: { servers: { ghost: { command: "/nonexistent/ghost-server" } } } });
    const bad = await runCli(["mcp", "test", "ghost"], env, undefined, 40_000);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/ghost failed: command "\/nonexistent\/ghost-server" was not found/);
    const unknown = await runCli(["mcp", "test", "nope"], env);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/no MCP server named "nope" is configured \(configured: ghost\)/);
  }, 60_000);

  it("skills list shows the workspace's skills", async () => {
    const env = home({});
    mkdirSync(join(env.SWITCHBOARD_HOME, "skills", "weather"), { recursive: true });
    writeFileSync(join(env.SWITCHBOARD_HOME, "skills", "weather", "SKILL.md"), "---\nname: weather\ndescription: Look up the weather\n---\nUse wttr.in\n");
    const r = await runCli(["skills", "list"], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^weather\s+Look up the weather\n\s+.*skills\/weather/);
  });
});
