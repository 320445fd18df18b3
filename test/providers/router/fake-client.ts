// An in-process ProviderClient whose behaviour per target (entry + key) is
// scripted as a queue of outcomes, plus the harness the router tests share.
import { Writable } from "node:stream";
import type { ChatDelta, ChatRequest, ChatResult } from "../../../src/core/chat.ts";
import { ManualClock } from "../../../src/core/clock.ts";
import { createLogger } from "../../../src/core/logger.ts";
import { createRouter } from "../../../src/providers/router/index.ts";
import type { Router, RouterOptions } from "../../../src/providers/router/index.ts";
import { ProviderError, type CallTarget, type ModelEntry, type ProviderClient } from "../../../src/providers/types.ts";
import { EntryList, makeDirectory } from "./directory.ts";

export type Outcome =
  | { text: string; latencyMs?: number }
  | { error: ProviderError; latencyMs?: number }
  /** throws something that is not a ProviderError */
  | { raw: unknown }
  /** never settles; rejects when the request's signal aborts unless ignoreSignal */
  | { hang: true; ignoreSignal?: boolean }
  /** streams these text pieces, then fails with `failAfter` if given */
  | { deltas: string[]; failAfter?: ProviderError };

export interface Call {
  entryId: string;
  keyIndex: number;
  apiKey: string | undefined;
  at: number;
  kind: "chat" | "stream";
}

export function fail(reason: ProviderError["reason"], opts: { status?: number; retryAfterMs?: number; message?: string } = {}): Outcome {
  return { error: new ProviderError(reason, opts.message ?? `${reason} from provider`, opts) };
}

export const ok = (text = "hello"): Outcome => ({ text });

function result(text: string): ChatResult {
  return { content: text, toolCalls: [], finishReason: "stop" };
}

export class FakeProvider {
  readonly calls: Call[] = [];
  private readonly queues = new Map<string, Outcome[]>();
  private readonly always = new Map<string, Outcome>();
  private readonly clock: ManualClock;

  constructor(clock: ManualClock) {
    this.clock = clock;
  }

  /** queue outcomes for one target; when the queue is empty the target answers `always` or ok */
  script(entryId: string, keyIndex: number, ...outcomes: Outcome[]): this {
    const k = `${entryId}|${keyIndex}`;
    this.queues.set(k, [...(this.queues.get(k) ?? []), ...outcomes]);
    return this;
  }

  setAlways(entryId: string, keyIndex: number, outcome: Outcome): this {
    this.always.set(`${entryId}|${keyIndex}`, outcome);
    return this;
  }

  callsTo(): string[] {
    return this.calls.map((c) => `${c.entryId}/${c.keyIndex}`);
  }

  private next(t: CallTarget, kind: Call["kind"]): Outcome {
    this.calls.push({ entryId: t.entry.id, keyIndex: t.keyIndex, apiKey: t.apiKey, at: this.clock.now(), kind });
    const k = `${t.entry.id}|${t.keyIndex}`;
    return this.queues.get(k)?.shift() ?? this.always.get(k) ?? { text: `ok from ${t.entry.id} key ${t.keyIndex}` };
  }

  private async settle(o: Outcome, req: ChatRequest): Promise<string> {
    if ("latencyMs" in o && o.latencyMs) this.clock.advance(o.latencyMs);
    if ("raw" in o) throw o.raw;
    if ("error" in o) throw o.error;
    if ("hang" in o) {
      return new Promise<string>((_, reject) => {
        if (o.ignoreSignal) return;
        req.signal?.addEventListener("abort", () => reject(new ProviderError("aborted", "aborted")), { once: true });
      });
    }
    if ("deltas" in o) return o.deltas.join("");
    return o.text;
  }

  readonly clientFor = (_entry: ModelEntry): ProviderClient => ({
    chat: async (t: CallTarget, req: ChatRequest) => result(await this.settle(this.next(t, "chat"), req)),
    stream: (t: CallTarget, req: ChatRequest) => this.streamOf(this.next(t, "stream"), req),
  });

  private async *streamOf(o: Outcome, req: ChatRequest): AsyncGenerator<ChatDelta> {
    if ("deltas" in o) {
      for (const d of o.deltas) yield { type: "text", text: d };
      if (o.failAfter) throw o.failAfter;
      yield { type: "done", result: result(o.deltas.join("")) };
      return;
    }
    const text = await this.settle(o, req);
    yield { type: "text", text };
    yield { type: "done", result: result(text) };
  }
}

export interface Harness {
  clock: ManualClock;
  list: EntryList;
  fake: FakeProvider;
  sleeps: number[];
  logLines: string[];
  router: (over?: Partial<RouterOptions>) => Router;
}

/** A ManualClock, a sleep that advances it, a captured debug log, and a router factory. */
export function harness(defaults: RouterOptions["defaults"] = { fallbacks: [] }, aliases: Record<string, string> = {}): Harness {
  const clock = new ManualClock();
  const list = new EntryList();
  const fake = new FakeProvider(clock);
  const sleeps: number[] = [];
  const logLines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logLines.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger({ level: "debug", destination });
  const sleep = async (ms: number, signal?: AbortSignal) => {
    if (signal?.aborted) throw signal.reason;
    sleeps.push(ms);
    clock.advance(ms);
  };
  return {
    clock,
    list,
    fake,
    sleeps,
    logLines,
    router: (over = {}) =>
      createRouter({ directory: makeDirectory(list, aliases), clientFor: fake.clientFor, defaults, clock, logger, sleep, ...over }),
  };
}

export const req = (text = "hi"): ChatRequest => ({ messages: [{ role: "user", content: text }] });

export async function collect(it: AsyncIterable<ChatDelta>): Promise<string> {
  let text = "";
  for await (const d of it) if (d.type === "text") text += d.text;
  return text;
}
