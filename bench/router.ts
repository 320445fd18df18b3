// The provider router's own overhead per request (src/providers/router):
// planning the chain, round-robin, cooldown and rpm checks, attempt records
// and state bookkeeping, measured with an instant in-process client so no
// network time is included. Prints figures; asserts nothing.
import type { ChatRequest } from "../src/core/chat.ts";
import { silentLogger } from "../src/core/logger.ts";
import { createRouter, memoryStateStore, type Router, type RouterOptions } from "../src/providers/router/index.ts";
import { ProviderError, type ModelDirectory, type ModelEntry, type ProviderClient } from "../src/providers/types.ts";
import { report } from "./stats.ts";

const N = 20_000;
const WARMUP = 2_000;

function entry(modelName: string, n: number, keys: string[] = [`sk-bench-${modelName}-${n}`], rpm?: number): ModelEntry {
  return {
    id: `${modelName}#${n}`,
    modelName,
    model: `openai/${modelName}`,
    vendor: "openai",
    protocol: "openai",
    modelId: modelName,
    apiBase: "http://127.0.0.1:9/v1",
    apiKeys: keys,
    requestTimeoutMs: 30_000,
    enabled: true,
    source: "model_list",
    ...(rpm !== undefined ? { rpm } : {}),
  };
}

function directoryOf(entries: ModelEntry[]): ModelDirectory {
  const groups = new Map<string, ModelEntry[]>();
  for (const e of entries) groups.set(e.modelName, [...(groups.get(e.modelName) ?? []), e]);
  return { all: () => entries, lookup: (ref) => groups.get(ref) ?? [] };
}

/** answers at once; entries named in `failing` always fail with auth (so they cool down) */
function instantClient(failing: Set<string>): ProviderClient {
  const result = { content: "ok", toolCalls: [], finishReason: "stop" as const };
  return {
    async chat(t) {
      if (failing.has(`${t.entry.id}|${t.keyIndex}`)) throw new ProviderError("auth", "invalid key", { status: 401 });
      return result;
    },
    async *stream(t) {
      if (failing.has(`${t.entry.id}|${t.keyIndex}`)) throw new ProviderError("auth", "invalid key", { status: 401 });
      yield { type: "text", text: "ok" };
      yield { type: "done", result };
    },
  };
}

async function measure(label: string, once: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < WARMUP; i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await once();
    samples.push(performance.now() - t);
  }
  report(label, samples);
}

function router(entries: ModelEntry[], defaults: RouterOptions["defaults"], failing: string[] = [], over: Partial<RouterOptions> = {}): Router {
  return createRouter({
    directory: directoryOf(entries),
    clientFor: () => instantClient(new Set(failing)),
    defaults,
    logger: silentLogger(),
    ...over,
  });
}

export async function run(): Promise<void> {
  const req: ChatRequest = { messages: [{ role: "user", content: "hi" }] };
  const g3 = [entry("g", 0), entry("g", 1), entry("g", 2), entry("backup", 0)];

  const plain = router(g3, { primary: "g", fallbacks: ["backup"] });
  await measure("chat, round-robin over 3 entries, first call ok", () => plain.chat(req));

  const persisted = router(g3, { primary: "g", fallbacks: ["backup"] }, [], { stateStore: memoryStateStore() });
  await measure("chat, same with a state store", () => persisted.chat(req));

  const limited = router([entry("r", 0, undefined, 1_000_000)], { primary: "r", fallbacks: [] });
  await measure("chat, entry with an rpm limit", () => limited.chat(req));

  // the primary group's entries all fail once, then are skipped while cooling
  const cooling = router(g3, { primary: "g", fallbacks: ["backup"] }, ["g#0|0", "g#1|0", "g#2|0"]);
  await cooling.chat(req);
  await measure("chat, 3 cooling entries skipped, fallback ok", () => cooling.chat(req));

  // key failover inside one entry, every request (a fresh router each time so key 0 is never cooling)
  const keyed = [entry("k", 0, ["sk-k-1", "sk-k-2"])];
  await measure("chat, key 1 fails (auth), key 2 ok, fresh router", () =>
    router(keyed, { primary: "k", fallbacks: [] }, ["k#0|0"]).chat(req),
  );

  const streaming = router(g3, { primary: "g", fallbacks: ["backup"] });
  await measure("stream, two deltas, round-robin", async () => {
    for await (const _ of streaming.stream(req)) {
      // drain
    }
  });

  const calls = router(g3, { primary: "g", fallbacks: ["backup"] });
  await measure("call(), instant fn", () => calls.call({}, async (t) => t.keyIndex));
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
