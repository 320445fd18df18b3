// The tools a turn may call. The JSON schema the model sees is generated from
// the same zod schema that validates the arguments; tools from outside (MCP
// servers) bring a raw JSON schema instead, checked here for the basics. A tool's failure never
// ends the turn: invalid JSON, invalid arguments, an unknown name, a throw or
// a timeout all come back to the model as the tool's result, so it can fix
// the call or tell the user. Only a cancelled turn (ctx.signal) propagates.
import { z } from "zod";
import type { ToolCall, ToolSpec } from "../core/chat.ts";
import { isJsonSchemaTool, ToolError, type AnyTool, type JsonSchemaTool, type Tool, type ToolContext, type ToolOutput } from "./types.ts";
import { noteToolRun } from "./activity.ts";
import { errorMessage } from "../core/errors.ts";

export const DEFAULT_TOOL_TIMEOUT_MS = 60_000;
/** A tool result longer than this is cut (with a note) before the model sees it. */
export const MAX_TOOL_RESULT_CHARS = 32_000;
/** images one tool call may show the model (each one costs the model hundreds of tokens or more) */
export const MAX_IMAGES_FOR_MODEL = 4;

export interface ToolExecution {
  /** what the model reads as the tool's result */
  text: string;
  media: NonNullable<ToolOutput["media"]>;
  /** images for the model to look at (at most MAX_IMAGES_FOR_MODEL) */
  forModel?: NonNullable<ToolOutput["forModel"]>;
  /** set when the call failed; `text` then explains the failure to the model */
  error?: string;
}

const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A provider-friendly JSON schema for a tool's arguments: an object schema,
 * no $schema key, no ±2^53 bounds zod adds to integers.
 */
export function parametersSchema(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  delete json.$schema;
  const clean = stripSafeIntegerBounds(json) as Record<string, unknown>;
  if (clean.type !== "object") {
    throw new Error("a tool's schema must be a z.object(...): providers accept only object parameters");
  }
  clean.properties ??= {};
  return clean;
}

function stripSafeIntegerBounds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripSafeIntegerBounds);
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if ((k === "maximum" && v === Number.MAX_SAFE_INTEGER) || (k === "minimum" && v === Number.MIN_SAFE_INTEGER)) continue;
    out[k] = stripSafeIntegerBounds(v);
  }
  return out;
}

/** "url: Invalid input: expected string, received number; n: Too small: ..." */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length ? i.path.map(String).join(".") : "(arguments)"}: ${i.message}`)
    .join("; ");
}

/**
 * A raw JSON schema as providers accept it: an object schema without $schema.
 * Throws when the schema does not describe an object.
 */
export function jsonParametersSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const clean: Record<string, unknown> = { ...schema };
  delete clean.$schema;
  if (clean.type !== "object") throw new Error("a tool's JSON schema must have type \"object\": providers accept only object parameters");
  if (clean.properties === undefined || clean.properties === null) clean.properties = {};
  return clean;
}

/**
 * The checks a raw JSON schema gets before the call: an object, every
 * required key present, top-level primitive types right. "" when fine.
 */
export function checkJsonArguments(schema: Record<string, unknown>, args: unknown): string {
  if (args === null || typeof args !== "object" || Array.isArray(args)) return "(arguments): expected a JSON object";
  const given = args as Record<string, unknown>;
  const problems: string[] = [];
  const required = Array.isArray(schema.required) ? schema.required.filter((k): k is string => typeof k === "string") : [];
  for (const key of required) if (given[key] === undefined) problems.push(`${key}: required`);
  const props = (schema.properties ?? {}) as Record<string, { type?: unknown }>;
  for (const [key, value] of Object.entries(given)) {
    const want = props[key]?.type;
    if (value === undefined || typeof want !== "string") continue;
    const ok =
      want === "string" ? typeof value === "string"
      : want === "number" ? typeof value === "number"
      : want === "integer" ? Number.isInteger(value)
      : want === "boolean" ? typeof value === "boolean"
      : want === "array" ? Array.isArray(value)
      : want === "object" ? value !== null && typeof value === "object" && !Array.isArray(value)
      : true;
    if (!ok) problems.push(`${key}: expected ${want}`);
  }
  return problems.join("; ");
}

export class ToolRegistry {
  private readonly tools = new Map<string, AnyTool>();
  private specCache: ToolSpec[] | undefined;

  /** Adds a tool; throws on a duplicate or malformed name or a non-object schema. */
  register<S extends z.ZodType>(tool: Tool<S>): this;
  register(tool: JsonSchemaTool): this;
  register(tool: AnyTool): this {
    if (!TOOL_NAME.test(tool.name)) {
      throw new Error(`tool name "${tool.name}" is not allowed: use 1-64 letters, digits, "_" or "-"`);
    }
    if (this.tools.has(tool.name)) throw new Error(`a tool named "${tool.name}" is already registered`);
    checkObjectParameters(tool); // fail at startup, not at the first turn
    this.tools.set(tool.name, tool);
    this.specCache = undefined;
    return this;
  }

  /** Removes a tool (an MCP server went away); false when there was none. */
  unregister(name: string): boolean {
    const had = this.tools.delete(name);
    if (had) this.specCache = undefined;
    return had;
  }

  has(name: string): boolean {
    return this.tools.has(name);
  }

  names(): string[] {
    return [...this.tools.keys()];
  }

  /** What the model is told about the tools (generated once, then cached). */
  specs(): ToolSpec[] {
    this.specCache ??= [...this.tools.values()].map(specOf);
    return this.specCache;
  }

  /** Runs one call. Never throws, except with the turn's own abort reason when ctx.signal fires. */
  async execute(call: ToolCall, ctx: ToolContext): Promise<ToolExecution> {
    const tool = this.tools.get(call.name);
    if (!tool) {
      const names = this.names();
      return failure(`there is no tool named "${call.name}". Available tools: ${names.length ? names.join(", ") : "none"}.`);
    }

    let raw: unknown;
    const source = call.arguments.trim();
    try {
      raw = source === "" || source === "null" ? {} : JSON.parse(source);
    } catch (err) {
      const why = errorMessage(err);
      return failure(`the arguments for ${call.name} were not valid JSON (${why}). Send one JSON object that matches the tool's parameters.`);
    }
    let args: unknown;
    if (isJsonSchemaTool(tool)) {
      const problems = checkJsonArguments(tool.parameters, raw);
      if (problems) return failure(`invalid arguments for ${call.name}: ${problems}. Fix them and call the tool again.`);
      args = raw;
    } else {
      const parsed = tool.schema.safeParse(raw);
      if (!parsed.success) {
        return failure(`invalid arguments for ${call.name}: ${describeIssues(parsed.error)}. Fix them and call the tool again.`);
      }
      args = parsed.data;
    }

    const timeoutMs = tool.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
    const timer = new AbortController();
    const timeout = setTimeout(
      () => timer.abort(new ToolError(`${call.name} did not finish within ${seconds(timeoutMs)} and was stopped`)),
      timeoutMs,
    );
    const signal = AbortSignal.any([ctx.signal, timer.signal]);
    let stopWaiting = (): void => {};
    // A tool that ignores its signal still cannot hold the turn past the timeout.
    const aborted = new Promise<never>((_, reject) => {
      const onAbort = (): void => reject(signal.reason);
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      stopWaiting = () => signal.removeEventListener("abort", onAbort);
    });
    try {
      const run = tool.run as (a: unknown, c: ToolContext) => Promise<string | ToolOutput>;
      const out = await Promise.race([run(args, { ...ctx, signal }), aborted]);
      return capped(out);
    } catch (err) {
      if (ctx.signal.aborted) throw ctx.signal.reason ?? err;
      if (timer.signal.aborted) return failure((timer.signal.reason as ToolError).message);
      if (err instanceof ToolError) return failure(err.message);
      return failure(`tool ${call.name} failed: ${errorMessage(err)}`);
    } finally {
      clearTimeout(timeout);
      stopWaiting();
      noteToolRun();
    }
  }
}

/**
 * Throws unless the tool's parameters are an object, as specOf would on the first turn. A z.object is one
 * (the built-in tools' case) without converting it: turning every built-in tool's schema into JSON schema
 * took ~4 ms of the gateway's start, and the model first needs them at the first turn (the gateway's
 * warm-up after ready builds them). Anything else is converted now and checked.
 */
function checkObjectParameters(t: AnyTool): void {
  if (!isJsonSchemaTool(t) && t.schema instanceof z.ZodObject) return;
  specOf(t);
}

function specOf(t: AnyTool): ToolSpec {
  return {
    name: t.name,
    description: t.description,
    parameters: isJsonSchemaTool(t) ? jsonParametersSchema(t.parameters) : parametersSchema(t.schema),
  };
}

function capped(out: string | ToolOutput): ToolExecution {
  const text = typeof out === "string" ? out : String(out?.text ?? "");
  const media = typeof out === "string" ? [] : (out?.media ?? []);
  const images = typeof out === "string" ? [] : (out?.forModel ?? []).slice(0, MAX_IMAGES_FOR_MODEL);
  const forModel = images.length ? { forModel: images } : {};
  if (text.length <= MAX_TOOL_RESULT_CHARS) return { text, media, ...forModel };
  const cut = `${text.slice(0, MAX_TOOL_RESULT_CHARS)}\n[result cut: ${text.length - MAX_TOOL_RESULT_CHARS} more characters were left out]`;
  return { text: cut, media, ...forModel };
}

function failure(message: string): ToolExecution {
  return { text: `Error: ${message}`, media: [], error: message };
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}
