// One MCP server: connects (stdio, or streamable HTTP with SSE as fallback),
// lists its tools, calls them, and reconnects with backoff when it fails or
// its process exits. It never throws into the agent: a failure is a state
// (`failed`, with the reason) that status shows, and a call made while the
// server is down returns that reason to the model.
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { Logger } from "../core/logger.ts";
import { VERSION } from "../cli/version.ts";
import { ToolError, type ToolOutput } from "../tools/types.ts";
import { Backoff } from "../core/backoff.ts";
import type { McpServerSpec } from "./config.ts";
import { toToolOutput, type McpCallResult } from "./results.ts";
import { errorMessage } from "../core/errors.ts";

export type McpState = "idle" | "connecting" | "ready" | "failed" | "stopped";

export interface McpToolInfo {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
}

export interface McpServerStatus {
  name: string;
  transport: string;
  state: McpState;
  lazy: boolean;
  tools: number;
  error?: string;
  restarts: number;
}

export interface McpServerDeps {
  logger: Logger;
  /** the server's tool list changed (connected, reconnected with other tools) */
  onTools: (server: McpServer, tools: McpToolInfo[]) => void;
  /** test hook: restart delays */
  delay?: (attempt: number) => number;
}

const STDERR_TAIL = 2_000;
/** connected this long, a server counts as healthy again */
const STABLE_MS = 60_000;

export class McpServer {
  readonly spec: McpServerSpec;
  state: McpState = "idle";
  error: string | undefined;
  tools: McpToolInfo[] = [];
  restarts = 0;
  /** true once the first connection attempt has ended, either way */
  tried = false;
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** restart waits: 1 s, 2 s, 4 s … up to 5 min, with jitter so servers that failed together do not retry together */
  private readonly backoff = new Backoff({ initialMs: 1_000, maxMs: 5 * 60_000 });
  private readyAt = 0;
  private closed = false;
  private stderrTail = "";
  private readonly deps: McpServerDeps;

  constructor(spec: McpServerSpec, deps: McpServerDeps) {
    this.spec = spec;
    this.deps = deps;
  }

  /** Connects in the background; failures schedule a retry. */
  start(): void {
    void this.connect().catch(() => {});
  }

  status(): McpServerStatus {
    return {
      name: this.spec.name,
      transport: this.spec.transport,
      state: this.state,
      lazy: this.spec.lazy,
      tools: this.tools.length,
      ...(this.error ? { error: this.error } : {}),
      restarts: this.restarts,
    };
  }

  /** The connected client, connecting first if needed (lazy servers, a call during a restart). */
  connect(): Promise<Client> {
    if (this.closed) return Promise.reject(new ToolError(`MCP server "${this.spec.name}" was stopped`));
    if (this.client && this.state === "ready") return Promise.resolve(this.client);
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  async call(tool: string, args: Record<string, unknown>, signal: AbortSignal): Promise<ToolOutput> {
    let client: Client;
    try {
      client = await this.connect();
    } catch (err) {
      throw new ToolError(`MCP server "${this.spec.name}" is not available: ${errorMessage(err)}`);
    }
    const res = await client.callTool({ name: tool, arguments: args }, undefined, {
      signal,
      timeout: this.spec.callTimeoutMs + 1_000,
      resetTimeoutOnProgress: false,
    });
    return toToolOutput(res as McpCallResult);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.state = "stopped";
    const client = this.client;
    this.client = undefined;
    await this.connecting?.catch(() => {});
    await (client ?? this.client)?.close().catch(() => {});
  }

  private async open(): Promise<Client> {
    clearTimeout(this.retryTimer);
    this.state = "connecting";
    try {
      const client = await this.handshake();
      if (this.closed) {
        await client.close().catch(() => {});
        throw new ToolError(`MCP server "${this.spec.name}" was stopped`);
      }
      const tools = await listAll(client, this.spec.connectTimeoutMs);
      this.client = client;
      this.state = "ready";
      this.error = undefined;
      this.readyAt = Date.now();
      this.tools = tools;
      client.onclose = () => this.lost(client);
      this.deps.logger.info({ mcp: this.spec.name, tools: tools.length }, "MCP server connected");
      this.deps.onTools(this, tools);
      return client;
    } catch (err) {
      if (!this.closed) this.fail(err);
      throw err;
    } finally {
      this.tried = true;
    }
  }

  private async handshake(): Promise<Client> {
    const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
    const make = () => new Client({ name: "switchboard", version: VERSION }, { capabilities: {} });
    const opts = { timeout: this.spec.connectTimeoutMs };
    if (this.spec.transport === "stdio") {
      const client = make();
      await client.connect(await this.stdioTransport(), opts);
      return client;
    }
    const url = new URL(this.spec.url!);
    const requestInit = { headers: this.spec.headers };
    if (this.spec.transport === "http" || this.spec.sseFallback) {
      const { StreamableHTTPClientTransport } = await import("@modelcontextprotocol/sdk/client/streamableHttp.js");
      const client = make();
      try {
        await client.connect(new StreamableHTTPClientTransport(url, { requestInit }), opts);
        return client;
      } catch (err) {
        await client.close().catch(() => {});
        if (!this.spec.sseFallback) throw err;
        this.deps.logger.info({ mcp: this.spec.name, err: this.scrub(errorMessage(err)) }, "streamable HTTP failed; trying the SSE transport");
      }
    }
    const { SSEClientTransport } = await import("@modelcontextprotocol/sdk/client/sse.js");
    const client = make();
    await client.connect(new SSEClientTransport(url, { requestInit }), opts);
    return client;
  }

  private async stdioTransport(): Promise<Transport> {
    const { StdioClientTransport, getDefaultEnvironment } = await import("@modelcontextprotocol/sdk/client/stdio.js");
    // only the basic variables (PATH, HOME, ...) and the server's own env: our API keys stay with us
    const transport = new StdioClientTransport({
      command: this.spec.command!,
      args: this.spec.args,
      env: { ...getDefaultEnvironment(), ...this.spec.env },
      ...(this.spec.cwd ? { cwd: this.spec.cwd } : {}),
      stderr: "pipe",
    });
    this.stderrTail = "";
    transport.stderr?.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL);
    });
    return transport;
  }

  /** The connection ended while it was in use: mark it and reconnect. */
  private lost(client: Client): void {
    if (this.closed || this.client !== client) return;
    this.client = undefined;
    // a server that stayed up a while starts its backoff afresh; one that crashes right after connecting does not
    if (Date.now() - this.readyAt >= STABLE_MS) this.backoff.reset();
    this.fail(new Error(this.spec.transport === "stdio" ? `the server process exited${this.stderrNote()}` : "the connection closed"));
  }

  private fail(err: unknown): void {
    this.state = "failed";
    this.error = this.describe(err);
    const delay = this.deps.delay ? this.deps.delay(this.backoff.failures++) : this.backoff.next();
    this.deps.logger.warn({ mcp: this.spec.name, err: this.error, retryInMs: delay }, "MCP server failed; the agent goes on without its tools until it is back");
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.restarts++;
      this.start();
    }, delay);
    this.retryTimer.unref();
  }

  private describe(err: unknown): string {
    const e = err as NodeJS.ErrnoException;
    if (e?.code === "ENOENT" && this.spec.command) {
      return `command "${this.spec.command}" was not found: install it or fix mcp.servers.${this.spec.name}.command`;
    }
    return this.scrub(`${errorMessage(err)}${this.stderrNote()}`);
  }

  private stderrNote(): string {
    const tail = this.stderrTail.trim().split("\n").slice(-3).join(" | ");
    return tail ? ` (stderr: ${this.scrub(tail).slice(0, 300)})` : "";
  }

  /** Header and env values (tokens) and URL credentials never reach status or logs. */
  private scrub(text: string): string {
    let out = text.replace(/\/\/[^/@\s:]+:[^/@\s]+@/g, "//[redacted]@");
    for (const v of [...Object.values(this.spec.headers), ...Object.values(this.spec.env)]) {
      if (v.length >= 6) out = out.split(v).join("[redacted]");
    }
    return out;
  }
}

async function listAll(client: Client, timeout: number): Promise<McpToolInfo[]> {
  const tools: McpToolInfo[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor ? { cursor } : {}, { timeout });
    for (const t of page.tools) tools.push({ name: t.name, ...(t.description ? { description: t.description } : {}), inputSchema: t.inputSchema as Record<string, unknown> });
    cursor = page.nextCursor;
  } while (cursor);
  return tools;
}
