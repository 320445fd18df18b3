// The tools a turn may call. Each tool's JSON schema (what the model sees) is
// generated from the same zod schema that validates the arguments. A tool's
// failure never ends the turn: bad JSON, invalid arguments, a throw or a
// timeout all come back to the model as the tool's result.
import { z } from "zod";
import type { ToolCall, ToolSpec } from "../core/chat.ts";
import { ToolError, type Tool, type ToolContext, type ToolOutput } from "./types.ts";

export const DEFAULT_TOOL_TIMEOUT_MS = 60_000;
export const MAX_TOOL_RESULT_CHARS = 32_000;

export interface ToolResult {
  text: string;
  media: NonNullable<ToolOutput["media"]>;
  /** set when the call failed (the text then explains why, for the model) */
  error?: string;
}

/** JSON schema a provider accepts for function parameters. */
export function toParametersSchema(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  delete json.$schema;
  if (json.type !== "object") return { type: "object", properties: {}, additionalProperties: true };
  return json;
}

function describeZodError(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join(".") : "(arguments)"}: ${i.message}`).join("; ");
}

export class ToolRegistry {
  private readonly tools = new Map<string, Tool>();
  private specCache: ToolSpec[] | undefined;

  register(tool: Tool): void {
    if (this.tools.has(tool.name)) throw new Error(`tool ${tool.name} is registered twice`);
    this.tools.set(tool.name, tool);
    this.specCache = undefined;
  }

  has(name: string): boolean {
    return this.tools.has(name);
  }

  names(): string[] {
    return [...this.tools.keys()];
  }

  specs(): ToolSpec[] {
    this.specCache ??= [...this.tools.values()].map((t) => ({ name: t.name, description: t.description, parameters: toParametersSchema(t.schema) }));
    return this.specCache;
  }

  async execute(call: ToolCall, ctx: ToolContext): Promise<ToolResult> {
    const tool = this.tools.get(call.name);
    if (!tool) return failed(`there is no tool named "${call.name}"; available tools: ${this.names().join(", ") || "none"}`);
    let args: unknown;
    try {
      args = call.arguments.trim() === "" ? {} : JSON.parse(call.arguments);
    } catch {
      return failed(`the arguments for ${call.name} were not valid JSON; send a JSON object matching the tool's schema`);
    }
    const parsed = tool.schema.safeParse(args);
    if (!parsed.success) return failed(`invalid arguments for ${call.name}: ${describeZodError(parsed.error)}`);

    const timeoutMs = tool.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([ctx.signal, timeout]);
    let timer: NodeJS.Timeout | undefined;
    try {
      const out = await Promise.race([
        tool.run(parsed.data, { ...ctx, signal }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new ToolError(`${call.name} did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped`)), timeoutMs);
        }),
        new Promise<never>((_, reject) => {
          if (ctx.signal.aborted) reject(ctx.signal.reason);
          ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true });
        }),
      ]);
      const text = typeof out === "string" ? out : out.text;
      const media = typeof out === "string" ? [] : (out.media ?? []);
      return { text: cap(text), media };
    } catch (err) {
      if (ctx.signal.aborted) throw err; // the turn itself was cancelled
      if (err instanceof ToolError) return failed(err.message);
      if (timeout.aborted) return failed(`${call.name} did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped`);
      return failed(`tool ${call.name} failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}

function failed(message: string): ToolResult {
  return { text: `Error: ${message}`, media: [], error: message };
}

function cap(text: string): string {
  if (text.length <= MAX_TOOL_RESULT_CHARS) return text;
  return `${text.slice(0, MAX_TOOL_RESULT_CHARS)}\n[... ${text.length - MAX_TOOL_RESULT_CHARS} more characters cut]`;
}
