// The config keys of MCP servers: `mcp.servers.<name>` (Switchboard and
// OpenClaw), the Claude-Desktop-style top-level `mcpServers`, and PicoClaw's
// `tools.mcp` (`{ enabled, servers }`). One server shape serves all three;
// the spellings the peers use (type/transport, cwd/workingDirectory,
// requestTimeoutMs, env_file) are accepted as they are written.
import { z } from "zod";

const str = z.string();
const optText = z
  .string()
  .optional()
  .transform((s) => (s === undefined || s.trim() === "" ? undefined : s));
const envValue = z.union([str, z.number().transform(String), z.boolean().transform(String)]);

export const MCP_TRANSPORTS = ["stdio", "http", "streamable-http", "streamableHttp", "sse"] as const;

export const mcpServerSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** PicoClaw spells it type, OpenClaw transport; omitted: stdio with command, HTTP with url */
    type: z.enum(MCP_TRANSPORTS).optional(),
    transport: z.enum(MCP_TRANSPORTS).optional(),
    command: optText,
    args: z.array(str).default([]),
    env: z.record(str, envValue).default({}),
    /** PicoClaw: a KEY=VALUE file merged under env */
    env_file: optText,
    cwd: optText,
    workingDirectory: optText,
    url: optText,
    headers: z.record(str, str).default({}),
    /** which of the server's tools the model sees: names or globs ("read_*") */
    tools: z.strictObject({ allow: z.array(str).optional(), deny: z.array(str).optional() }).optional(),
    /** seconds a tool call may take; default 60 */
    timeout: z.number().positive().optional(),
    /** OpenClaw: the same in milliseconds */
    requestTimeoutMs: z.number().int().positive().optional(),
    /** ms to connect and list tools; default 30 000 */
    connectionTimeoutMs: z.number().int().positive().optional(),
    /** start the server on the first call of one of its tools instead of at boot */
    lazy: z.boolean().optional(),
  })
  .superRefine((s, ctx) => {
    if (!s.enabled) return;
    if (!s.command && !s.url) ctx.addIssue({ code: "custom", message: 'needs "command" (a local server) or "url" (a remote one)' });
    if (s.command && s.url) ctx.addIssue({ code: "custom", path: ["url"], message: 'give "command" or "url", not both' });
    if (s.url && !/^https?:\/\/[^\s/?#]+/i.test(s.url)) ctx.addIssue({ code: "custom", path: ["url"], message: "expected an http:// or https:// URL" });
    const t = s.type ?? s.transport;
    if (t === "stdio" && !s.command) ctx.addIssue({ code: "custom", path: ["command"], message: 'required for the "stdio" transport' });
    if (t && t !== "stdio" && !s.url) ctx.addIssue({ code: "custom", path: ["url"], message: `required for the "${t}" transport` });
  });
export type McpServerConfig = z.infer<typeof mcpServerSchema>;

const servers = z.record(str, mcpServerSchema).default({});

/** `mcp`: servers, plus whether servers start lazily unless they say otherwise. */
export const mcpSectionSchema = z
  .strictObject({
    servers,
    lazy: z.boolean().default(false),
  })
  .prefault({});

/** Claude Desktop's top-level `mcpServers`. */
export const mcpServersSchema = servers;

/** PicoClaw's `tools.mcp`. */
export const picoclawMcpSchema = z.strictObject({ enabled: z.boolean().default(false), servers }).optional();
