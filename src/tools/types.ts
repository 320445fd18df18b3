// The contract every agent tool implements. Arguments are validated with the
// tool's zod schema; the JSON schema shown to the model is generated from it.
import type { z } from "zod";
import type { Clock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";

/** Who a turn belongs to; tools use it to reply, schedule or check permissions. */
export interface TurnOrigin {
  /** session key the turn runs in */
  sessionKey: string;
  /** "cli", "telegram", "discord", ... or "cron"/"heartbeat" for synthetic turns */
  channel: string;
  chatId: string;
  senderId?: string;
  /** true when the turn comes from the local CLI (may use local-only tools) */
  local?: boolean;
  /**
   * Stable across restarts for the same inbound messages (set by the gateway):
   * side-effecting tool calls are journaled under it, so a re-run after a
   * crash does not repeat them (src/agent/tool-journal.ts).
   */
  turnId?: string;
}

export interface ToolContext {
  origin: TurnOrigin;
  signal: AbortSignal;
  logger: Logger;
  clock: Clock;
}

/** What a tool hands back: text for the model, optionally media for the user. */
export interface ToolOutput {
  text: string;
  media?: {
    kind: "image" | "audio" | "file";
    mimeType: string;
    data?: Buffer;
    url?: string;
    path?: string;
    /** the name the chat shows for the file (send_file) */
    filename?: string;
    /** a short text sent with the file */
    caption?: string;
  }[];
  /**
   * images the model itself should look at (an MCP tool's screenshot, a chart).
   * Tool messages carry only text in the OpenAI protocol, so they reach the
   * model as a user message right after the step's tool results.
   */
  forModel?: { mimeType: string; data: Buffer }[];
}

export interface Tool<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly description: string;
  readonly schema: S;
  /** per-call timeout; default 60 s */
  readonly timeoutMs?: number;
  run(args: z.infer<S>, ctx: ToolContext): Promise<string | ToolOutput>;
}

/**
 * A tool whose arguments are described by a raw JSON schema rather than zod
 * (MCP servers publish their own schemas). The registry checks the basics
 * (an object, the required keys, top-level primitive types); the tool's
 * owner validates the rest (an MCP server answers bad arguments with an error).
 */
export interface JsonSchemaTool {
  readonly name: string;
  readonly description: string;
  /** an object schema, passed to the model as is */
  readonly parameters: Record<string, unknown>;
  readonly timeoutMs?: number;
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<string | ToolOutput>;
}

export type AnyTool = Tool | JsonSchemaTool;

export function isJsonSchemaTool(t: AnyTool): t is JsonSchemaTool {
  return "parameters" in t && !("schema" in t);
}

/** Thrown by tools for failures the model should read (returned as the tool result). */
export class ToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ToolError";
  }
}
