// A scripted in-process provider, a tiny directory and a clock-driven sleep
// for router tests. The router's wire-facing behaviour is covered by the
// client tests and the end-to-end tests against the fake LLM server.
import type { ChatRequest, ChatResult } from "../../../src/core/chat.ts";
import { ManualClock } from "../../../src/core/clock.ts";
import { silentLogger } from "../../../src/core/logger.ts";
import { createRouter, type RouterOptions } from "../../../src/providers/routing/router.ts";
import { ProviderError, type CallTarget, type FailureReason, type ModelDirectory, type ModelEntry, type ProviderClient } from "../../../src/providers/types.ts";

export type Outcome = string | { fail: FailureReason; status?: number; retryAfterMs?: number };

export function mkEntry(modelName: string, n: number, over: Partial<ModelEntry> = {}): ModelEntry {
  return {
    id: `${modelName}#${n}`,
    modelName,
    model: `openai/${modelName}`,
    vendor: "openai",
    protocol: "openai",
    modelId: modelName,
    apiBase: `http://e${n}.invalid/v1`,
    apiKeys: [`sk-${modelName}-${n}-secretvalue`],
    requestTimeoutMs: 1000,
    enabled: true,
    source: "model_list",
    ...over,
  };
}

export function directoryOf(entries: ModelEntry[], refs: Record<string, ModelEntry> = {}): ModelDirectory {
  return {
    all: () => entries,
    lookup: (ref) => {
      const g = entries.filter((e) => e.modelName === ref && e.enabled);
      return g.length ? g : refs[ref] ? [refs[ref]] : [];
    },
  };
}

/** Answers per target from a script (default "ok"), recording each call. */
export class ScriptedClient implements ProviderClient {
  readonly calls: string[] = [];
  private readonly scripts = new Map<string, Outcome[]>();
  script(target: string, ...outcomes: Outcome[]): void {
    this.scripts.set(target, [...(this.scripts.get(target) ?? []), ...outcomes]);
  }
  private next(t: CallTarget): Outcome {
    const key = `${t.entry.id}/k${t.keyIndex}`;
    this.calls.push(key);
    const q = this.scripts.get(key) ?? this.scripts.get(t.entry.id);
    return q?.length ? q.shift()! : "ok";
  }
  async chat(t: CallTarget, _req: ChatRequest): Promise<ChatResult> {
    const o = this.next(t);
    if (typeof o === "string") return { content: `${o} from ${t.entry.id}`, toolCalls: [], finishReason: "stop" };
    throw new ProviderError(o.fail, `failed with ${o.fail} using ${t.apiKey}`, { ...(o.status ? { status: o.status } : {}), ...(o.retryAfterMs !== undefined ? { retryAfterMs: o.retryAfterMs } : {}) });
  }
  async *stream(t: CallTarget, req: ChatRequest) {
    const r = await this.chat(t, req);
    yield { type: "text" as const, text: r.content };
    yield { type: "done" as const, result: r };
  }
}

export function setup(entries: ModelEntry[], defaults: { primary?: string; fallbacks?: string[] }, over: Partial<RouterOptions> = {}, refs: Record<string, ModelEntry> = {}) {
  const clock = new ManualClock(1_700_000_000_000);
  const client = new ScriptedClient();
  const slept: number[] = [];
  const router = createRouter({
    directory: directoryOf(entries, refs),
    clientFor: () => client,
    defaults: { fallbacks: [], ...defaults },
    clock,
    logger: silentLogger(),
    sleep: async (ms) => {
      slept.push(ms);
      clock.advance(ms);
    },
    ...over,
  });
  return { router, client, clock, slept };
}

export const ask = { messages: [{ role: "user" as const, content: "hi" }] };
