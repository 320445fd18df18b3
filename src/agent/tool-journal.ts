// Tool calls with side effects, made idempotent across a crash. A turn the
// gateway re-runs after a restart has the same turn id (TurnOrigin.turnId,
// from the inbox rows it answers); each of its tool calls gets a stable key
// from the tool name, its arguments and how many identical calls came before
// it in the turn (the model's own call ids change between runs). The call is
// journaled before it runs and its result after; a re-run gets the recorded
// result back and the effect does not happen again.
//
// A call that was running when the process died (journaled "started", no
// result) is re-run only for tools whose effect is keyed by the call
// (`message`: its reply is queued under the call key, and a second queueing
// is refused by the outbox); any other such call answers the model that its
// outcome is unknown, instead of risking a second cron job or image.
import { AsyncLocalStorage } from "node:async_hooks";
import { createHash } from "node:crypto";
import type { ToolCall } from "../core/chat.ts";
import type { ToolExecution } from "../tools/registry.ts";
import type { ToolContext } from "../tools/types.ts";
import type { AgentTools } from "./agent.ts";

/**
 * Read-only tools: re-running them repeats nothing anyone notices. send_file
 * only reads a file; the file goes out with the turn's reply, which is saved
 * with the turn's history in one transaction, so a re-run sends it once (and
 * its bytes are not copied into the journal).
 */
export const PURE_TOOLS: ReadonlySet<string> = new Set(["web_search", "web_fetch", "send_file"]);
/** Tools whose effect is keyed by the call key (see currentToolCallKey). */
export const KEYED_TOOLS: ReadonlySet<string> = new Set(["message"]);

export interface ToolJournalStore {
  begin(turnId: string, callKey: string, tool: string, now: number): Promise<{ state: "started" } | { state: "done"; result: unknown } | undefined>;
  finish(turnId: string, callKey: string, result: unknown): Promise<void>;
}

interface StoredExecution {
  text: string;
  error?: string;
  media: { kind: "image" | "audio" | "file"; mimeType: string; data?: string; url?: string; path?: string; filename?: string; caption?: string }[];
}

const scope = new AsyncLocalStorage<string>();

/**
 * The journal key of the tool call running in this async context, e.g. for
 * the outbox to queue the `message` tool's text under it (so the same call
 * can never be queued twice). Undefined outside a journaled call.
 */
export function currentToolCallKey(): string | undefined {
  return scope.getStore();
}

export function journaledTools(tools: AgentTools, journal: ToolJournalStore, now: () => number = Date.now): AgentTools {
  // counted per run of a turn: the agent hands every call of one run the same
  // origin object, and a re-run (after a restart or a storage fault) a new one
  const seen = new WeakMap<object, Map<string, number>>();
  const occurrence = (run: object, base: string): number => {
    let counts = seen.get(run);
    if (!counts) {
      counts = new Map();
      seen.set(run, counts);
    }
    const n = counts.get(base) ?? 0;
    counts.set(base, n + 1);
    return n;
  };
  return {
    names: () => tools.names(),
    specs: () => tools.specs(),
    async execute(call: ToolCall, ctx: ToolContext): Promise<ToolExecution> {
      const turnId = ctx.origin.turnId;
      if (!turnId || PURE_TOOLS.has(call.name)) return tools.execute(call, ctx);
      const base = `${call.name}:${argsHash(call.arguments)}`;
      const key = `${base}#${occurrence(ctx.origin, base)}`;
      const earlier = await journal.begin(turnId, key, call.name, now());
      if (earlier?.state === "done") {
        ctx.logger.info({ session: ctx.origin.sessionKey, tool: call.name }, "tool call already made before a restart; reusing its result");
        return fromStored(earlier.result as StoredExecution);
      }
      if (earlier?.state === "started" && !KEYED_TOOLS.has(call.name)) {
        const text = `The ${call.name} call with these arguments was interrupted by a gateway restart; it may or may not have taken effect. Check before repeating it.`;
        return { text, media: [], error: text };
      }
      const out = await scope.run(`${turnId}/${key}`, () => tools.execute(call, ctx));
      await journal.finish(turnId, key, toStored(out));
      return out;
    },
  };
}

/** arguments compared as parsed JSON, so whitespace and key order do not matter */
function argsHash(args: string): string {
  let canonical = args.trim();
  try {
    canonical = JSON.stringify(sortKeys(JSON.parse(canonical === "" ? "{}" : canonical)));
  } catch {
    // not JSON: the registry answers the model with the parse error; hash the text as it is
  }
  return createHash("sha256").update(canonical).digest("hex").slice(0, 16);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
}

function toStored(out: ToolExecution): StoredExecution {
  return {
    text: out.text,
    ...(out.error !== undefined ? { error: out.error } : {}),
    media: out.media.map(({ data, ...m }) => ({ ...m, ...(data ? { data: data.toString("base64") } : {}) })),
  };
}

function fromStored(s: StoredExecution): ToolExecution {
  return {
    text: s.text,
    ...(s.error !== undefined ? { error: s.error } : {}),
    media: (s.media ?? []).map(({ data, ...m }) => ({ ...m, ...(data ? { data: Buffer.from(data, "base64") } : {}) })),
  };
}
