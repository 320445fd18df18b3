// All configured MCP servers and their tools in the agent's tool registry.
// `apply(specs)` brings the running set in line with a config: new servers
// start, removed ones stop (their processes end, their tools leave the
// registry), changed ones restart, the rest are left alone, so a reload
// does not interrupt a server that did not change. A runtime that is
// rebuilt per reload instead calls close() on the old manager.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Logger } from "../core/logger.ts";
import type { ToolRegistry } from "../tools/registry.ts";
import { mcpServerSpecs, specKey, toolAllowed, type McpConfigView, type McpServerSpec } from "./config.ts";
import { McpServer, type McpServerStatus, type McpToolInfo } from "./server.ts";

/** `<server>__<tool>`, reduced to what providers accept (64 characters). */
export function mcpToolName(server: string, tool: string): string {
  return `${server}__${tool.replace(/[^A-Za-z0-9_-]+/g, "_")}`.slice(0, 64);
}

export interface McpManagerOptions {
  tools: Pick<ToolRegistry, "register" | "unregister" | "has">;
  logger: Logger;
  /** where lazy servers' tool lists are kept between runs */
  cacheFile?: string;
  /** test hook: restart delays */
  delay?: (attempt: number) => number;
}

export interface ApplyResult {
  started: string[];
  stopped: string[];
  restarted: string[];
  unchanged: string[];
}

interface Entry {
  server: McpServer;
  key: string;
  /** registry names this server registered */
  registered: string[];
}

export class McpManager {
  private readonly entries = new Map<string, Entry>();
  private readonly opts: McpManagerOptions;

  constructor(opts: McpManagerOptions) {
    this.opts = opts;
  }

  /** Starts, stops and restarts servers so the running set matches `specs`. */
  async apply(specs: readonly McpServerSpec[]): Promise<ApplyResult> {
    const result: ApplyResult = { started: [], stopped: [], restarted: [], unchanged: [] };
    const wanted = new Map(specs.map((s) => [s.name, s]));
    for (const [name, entry] of this.entries) {
      const spec = wanted.get(name);
      if (spec && specKey(spec) === entry.key) {
        result.unchanged.push(name);
        wanted.delete(name);
        continue;
      }
      await this.stop(name);
      (spec ? result.restarted : result.stopped).push(name);
    }
    for (const spec of wanted.values()) {
      this.add(spec);
      if (!result.restarted.includes(spec.name)) result.started.push(spec.name);
    }
    return result;
  }

  /** apply() for a whole config: its mcp.servers, mcpServers and tools.mcp. */
  applyConfig(config: McpConfigView, baseDir?: string): Promise<ApplyResult> {
    return this.apply(mcpServerSpecs(config, baseDir));
  }

  status(): McpServerStatus[] {
    return [...this.entries.values()].map((e) => e.server.status());
  }

  /** Resolves once every server that was started has connected or failed at least once (bounded). */
  async settled(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // a lazy server waiting for its first call (tools from the cache) is "idle" and not waited for
    const pending = () => [...this.entries.values()].some((e) => !e.server.tried && e.server.state === "connecting");
    while (pending() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  }

  async close(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((name) => this.stop(name)));
  }

  private add(spec: McpServerSpec): void {
    const server = new McpServer(spec, {
      logger: this.opts.logger,
      onTools: (s, tools) => this.publish(s, tools, true),
      ...(this.opts.delay ? { delay: this.opts.delay } : {}),
    });
    this.entries.set(spec.name, { server, key: specKey(spec), registered: [] });
    const cached = spec.lazy ? this.readCache()[spec.name] : undefined;
    if (cached && cached.key === specKey(spec)) {
      // a lazy server with a known tool list waits for its first call
      this.publish(server, cached.tools, false);
      return;
    }
    server.start();
  }

  private async stop(name: string): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry) return;
    this.entries.delete(name);
    for (const t of entry.registered) this.opts.tools.unregister(t);
    await entry.server.close();
  }

  /** Puts a server's (allowed) tools into the registry, replacing what it had there. */
  private publish(server: McpServer, tools: McpToolInfo[], fresh: boolean): void {
    const entry = this.entries.get(server.spec.name);
    if (!entry || entry.server !== server) return;
    for (const t of entry.registered) this.opts.tools.unregister(t);
    entry.registered = [];
    if (!fresh) server.tools = tools;
    for (const tool of tools) {
      if (!toolAllowed(server.spec, tool.name)) continue;
      const name = mcpToolName(server.spec.name, tool.name);
      if (this.opts.tools.has(name)) {
        this.opts.logger.warn({ mcp: server.spec.name, tool: name }, "an MCP tool name is taken by another tool; this one is left out");
        continue;
      }
      try {
        this.opts.tools.register({
          name,
          description: (tool.description ?? `${tool.name} from the ${server.spec.name} MCP server`).slice(0, 1_024),
          parameters: tool.inputSchema?.type === "object" ? tool.inputSchema : { type: "object", properties: {} },
          timeoutMs: server.spec.callTimeoutMs,
          run: (args, ctx) => server.call(tool.name, args, ctx.signal),
        });
        entry.registered.push(name);
      } catch (err) {
        this.opts.logger.warn({ mcp: server.spec.name, tool: tool.name, err: (err as Error).message }, "an MCP tool was left out");
      }
    }
    if (fresh && server.spec.lazy) this.writeCache(server.spec, tools);
  }

  private readCache(): Record<string, { key: string; tools: McpToolInfo[] }> {
    if (!this.opts.cacheFile) return {};
    try {
      return JSON.parse(readFileSync(this.opts.cacheFile, "utf8")) as Record<string, { key: string; tools: McpToolInfo[] }>;
    } catch {
      return {}; // none yet, or unreadable: the server starts once to list its tools
    }
  }

  private writeCache(spec: McpServerSpec, tools: McpToolInfo[]): void {
    const file = this.opts.cacheFile;
    if (!file) return;
    try {
      const cache = this.readCache();
      cache[spec.name] = { key: specKey(spec), tools };
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(`${file}.tmp`, JSON.stringify(cache), { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error).message }, "could not save the MCP tool list cache");
    }
  }
}
