// The router's own cost per request: candidate selection, round-robin,
// health bookkeeping and attempt records, with an instant in-process client
// (no network). Also a request that fails over once.
import { silentLogger } from "../src/core/logger.ts";
import { createRouter } from "../src/providers/routing/router.ts";
import { ProviderError, type ModelEntry, type ProviderClient } from "../src/providers/types.ts";
import { report } from "./stats.ts";

function entry(name: string, n: number): ModelEntry {
  return { id: `${name}#${n}`, modelName: name, model: `openai/${name}`, vendor: "openai", protocol: "openai", modelId: name, apiBase: "http://x.invalid/v1", apiKeys: ["k"], requestTimeoutMs: 1000, enabled: true, source: "model_list" };
}

export async function run(): Promise<void> {
  const entries = [entry("g", 0), entry("g", 1), entry("g", 2), entry("b", 0)];
  let failFirst = false;
  const client: ProviderClient = {
    async chat(t) {
      if (failFirst && t.entry.modelName === "g") throw new ProviderError("server_error", "x", { status: 500 });
      return { content: "ok", toolCalls: [], finishReason: "stop" };
    },
    async *stream() {},
  };
  const router = createRouter({
    directory: { all: () => entries, lookup: (r) => entries.filter((e) => e.modelName === r) },
    clientFor: () => client,
    defaults: { primary: "g", fallbacks: ["b"] },
    logger: silentLogger(),
  });
  const req = { messages: [{ role: "user" as const, content: "hi" }] };
  for (let i = 0; i < 2000; i++) await router.chat(req); // warm up
  const ok: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const t = performance.now();
    await router.chat(req);
    ok.push(performance.now() - t);
  }
  report("router overhead, success on first entry", ok);
  failFirst = true;
  const fo: number[] = [];
  // every g entry fails and cools down after the first request; measure the first 3 (real failovers) many times
  for (let i = 0; i < 2000; i++) {
    const fresh = createRouter({
      directory: { all: () => entries, lookup: (r) => entries.filter((e) => e.modelName === r) },
      clientFor: () => client,
      defaults: { primary: "g", fallbacks: ["b"] },
      logger: silentLogger(),
    });
    const t = performance.now();
    await fresh.chat(req);
    fo.push(performance.now() - t);
  }
  report("router overhead, 3 failures then fallback", fo);
}
