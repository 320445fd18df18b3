// A tiny hand-built ModelDirectory for router tests: model_name groups,
// aliases, and direct vendor/model references turned into entries.
import type { ModelDirectory, ModelEntry } from "../../../src/providers/types.ts";

export interface EntrySpec {
  keys?: string[];
  rpm?: number;
  enabled?: boolean;
  apiBase?: string;
}

/** Builds entries with ids "<model_name>#<n>" (n counts within the model_name). */
export class EntryList {
  readonly entries: ModelEntry[] = [];

  add(modelName: string, model: string, spec: EntrySpec = {}): ModelEntry {
    const n = this.entries.filter((e) => e.modelName === modelName).length;
    const vendor = model.split("/")[0] ?? "";
    const e: ModelEntry = {
      id: `${modelName}#${n}`,
      modelName,
      model,
      vendor,
      protocol: "openai",
      modelId: model.slice(vendor.length + 1),
      apiBase: spec.apiBase ?? `https://${vendor}.example.test/v1`,
      apiKeys: spec.keys ?? [`sk-${modelName.replace(/[^a-z0-9]/gi, "")}-secret-key-${n}`],
      requestTimeoutMs: 30_000,
      enabled: spec.enabled ?? true,
      source: "model_list",
      ...(spec.rpm !== undefined ? { rpm: spec.rpm } : {}),
    };
    this.entries.push(e);
    return e;
  }
}

export function makeDirectory(list: EntryList, aliases: Record<string, string> = {}): ModelDirectory & { lookups: string[] } {
  const lookups: string[] = [];
  return {
    lookups,
    all: () => [...list.entries],
    lookup(ref: string): ModelEntry[] {
      lookups.push(ref);
      const name = aliases[ref] ?? ref;
      const group = list.entries.filter((e) => e.modelName === name);
      if (group.length > 0) return group;
      const slash = ref.indexOf("/");
      if (slash <= 0) return [];
      const vendor = ref.slice(0, slash);
      // a direct reference: a fresh entry each time, like a directory that builds it on demand
      return [
        {
          id: ref,
          modelName: ref,
          model: ref,
          vendor,
          protocol: "openai",
          modelId: ref.slice(slash + 1),
          apiBase: `https://${vendor}.example.test/v1`,
          apiKeys: [`sk-${vendor}-direct-secret`],
          requestTimeoutMs: 30_000,
          enabled: true,
          source: "reference",
        },
      ];
    },
  };
}
