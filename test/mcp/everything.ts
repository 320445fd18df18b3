// The third-party MCP server the tests talk to: @modelcontextprotocol/server-everything
// from npm, over stdio (a child process the client spawns) and over
// streamable HTTP (a child process on 127.0.0.1 that this helper starts).
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { McpServerSpec } from "../../src/mcp/config.ts";

const require = createRequire(import.meta.url);
export const EVERYTHING_BIN = join(dirname(require.resolve("@modelcontextprotocol/server-everything/package.json")), "dist", "index.js");

export function spec(over: Partial<McpServerSpec> & Pick<McpServerSpec, "name">): McpServerSpec {
  return { transport: "stdio", sseFallback: false, args: [], env: {}, headers: {}, callTimeoutMs: 20_000, connectTimeoutMs: 20_000, lazy: false, ...over };
}

export function stdioSpec(name = "everything", over: Partial<McpServerSpec> = {}): McpServerSpec {
  return spec({ name, command: process.execPath, args: [EVERYTHING_BIN, "stdio"], ...over });
}

export interface HttpServer {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the streamable HTTP mode and resolves with its /mcp URL once it listens. */
export function startHttpEverything(): Promise<HttpServer> {
  const script = join(dirname(fileURLToPath(import.meta.url)), "everything-http.mjs");
  const child = spawn(process.execPath, [script], { stdio: ["ignore", "ignore", "pipe"] });
  return new Promise((resolve, reject) => {
    let err = "";
    const timer = setTimeout(() => reject(new Error(`everything server did not start: ${err}`)), 20_000);
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      const m = /LISTENING (\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: `http://127.0.0.1:${m[1]}/mcp`,
          child,
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null) return done();
              child.once("exit", () => done());
              child.kill("SIGKILL");
            }),
        });
      }
    });
    child.once("exit", (code) => reject(new Error(`everything server exited with ${code}: ${err}`)));
  });
}
