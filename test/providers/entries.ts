// Hand-built model entries for provider and router tests.
import type { CallTarget, ModelEntry } from "../../src/providers/types.ts";

export function entry(over: Partial<ModelEntry> & { apiBase: string }): ModelEntry {
  return {
    id: "m#0",
    modelName: "m",
    model: "openai/test-model",
    vendor: "openai",
    protocol: "openai",
    modelId: "test-model",
    apiKeys: ["sk-test-secret-key-123456"],
    requestTimeoutMs: 5000,
    enabled: true,
    source: "model_list",
    ...over,
  };
}

export function target(e: ModelEntry, keyIndex = 0): CallTarget {
  return { entry: e, apiKey: e.apiKeys[keyIndex], keyIndex };
}
