// `switchboard mcp list [--probe]` and `switchboard mcp test <name>`: the
// configured MCP servers, and a live check of one (connect, list tools,
// exit 1 with the reason when it fails). Header and env values never print.
import type { Command } from "commander";
import { dirname } from "node:path";
import type { ToolSpec } from "../core/chat.ts";
import { SwitchboardError } from "../core/errors.ts";
import { mcpServerSpecs, type McpServerSpec } from "../mcp/config.ts";
import { McpManager } from "../mcp/manager.ts";
import type { McpServerStatus } from "../mcp/server.ts";
import { ToolRegistry } from "../tools/registry.ts";
import { writeLine } from "./io.ts";
import type { CliContext } from "./main.ts";
import { commandSetup } from "./setup.ts";

/** Where a server is, without credentials: "stdio: npx -y pkg" or "http: https://host/path". */
export function describeTarget(s: McpServerSpec): string {
  if (s.transport === "stdio") {
    const line = [s.command, ...s.args].join(" ");
    return `stdio: ${line.length > 200 ? `${line.slice(0, 199)}…` : line}`;
  }
  try {
    const u = new URL(s.url!);
    return `${s.transport}${s.sseFallback ? " (SSE fallback)" : ""}: ${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return `${s.transport}: (invalid URL)`;
  }
}

/** Connects to each server once (no restarts) and reports what happened. */
async function probe(specs: McpServerSpec[]): Promise<{ status: McpServerStatus[]; tools: ToolSpec[] }> {
  const tools = new ToolRegistry();
  const { silentLogger } = await import("../core/logger.ts");
  const manager = new McpManager({ tools, logger: silentLogger(), delay: () => 24 * 3600_000 });
  try {
    await manager.apply(specs.map((s) => ({ ...s, lazy: false })));
    await manager.settled(Math.max(...specs.map((s) => s.connectTimeoutMs), 1_000) + 1_000);
    // taken before close(), which takes the tools out of the registry
    return { status: manager.status(), tools: [...tools.specs()] };
  } finally {
    await manager.close();
  }
}

export function register(program: Command, ctx: CliContext): void {
  const mcp = program.command("mcp").description("list and test the configured MCP servers");
  const load = () => {
    const { loaded, paths } = commandSetup(ctx);
    return mcpServerSpecs(loaded.config, dirname(paths.configFile));
  };
  mcp
    .command("list")
    .description("the configured MCP servers (--probe connects to each)")
    .option("--probe", "connect to each server and count its tools")
    .action(async (flags: { probe?: boolean }) => {
      const specs = load();
      if (specs.length === 0) {
        writeLine(ctx.io.stdout, "no MCP servers configured (add them under mcp.servers in the config)");
        return;
      }
      const live = flags.probe ? (await probe(specs)).status : [];
      for (const s of specs) {
        const st = live.find((l) => l.name === s.name);
        const filter = [s.allow ? `allow ${s.allow.join(",")}` : "", s.deny ? `deny ${s.deny.join(",")}` : ""].filter(Boolean).join("; ");
        writeLine(ctx.io.stdout, `${s.name.padEnd(20)} ${describeTarget(s)}${s.lazy ? "  (lazy)" : ""}${filter ? `  [${filter}]` : ""}`);
        if (st) writeLine(ctx.io.stdout, `  ${st.state === "ready" ? `ready, ${st.tools} tools` : `${st.state}: ${st.error ?? "no answer"}`}`);
      }
      if (live.some((l) => l.state !== "ready")) ctx.exitCode = 1;
    });
  mcp
    .command("test <name>")
    .description("connect to one server, list its tools, exit 1 with the reason when it fails")
    .action(async (name: string) => {
      const specs = load();
      const spec = specs.find((s) => s.name === name);
      if (!spec) {
        throw new SwitchboardError("usage", `no MCP server named "${name}" is configured (configured: ${specs.map((s) => s.name).join(", ") || "none"})`);
      }
      writeLine(ctx.io.stdout, `${spec.name}: ${describeTarget(spec)}`);
      const { status, tools } = await probe([spec]);
      const st = status[0]!;
      if (st.state !== "ready") {
        writeLine(ctx.io.stderr, `${spec.name} failed: ${st.error ?? `still ${st.state} after ${spec.connectTimeoutMs} ms`}`);
        ctx.exitCode = 1;
        return;
      }
      writeLine(ctx.io.stdout, `connected; ${st.tools} tools, ${tools.length} offered to the model:`);
      for (const t of tools) writeLine(ctx.io.stdout, `  ${t.name}  ${t.description.split("\n")[0]!.slice(0, 100)}`);
    });
}
