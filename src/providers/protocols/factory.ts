// One client per protocol family, created on first use.
import type { ModelEntry, ProviderClient } from "../types.ts";
import { AnthropicClient, preloadSdk as preloadAnthropic } from "./anthropic-client.ts";
import { OpenAiCompatibleClient, preloadSdk as preloadOpenAi } from "./openai-client.ts";

export interface ClientFactory {
  clientFor(entry: ModelEntry): ProviderClient;
}

export function createClientFactory(): ClientFactory {
  let openai: OpenAiCompatibleClient | undefined;
  let anthropic: AnthropicClient | undefined;
  return {
    clientFor(entry: ModelEntry): ProviderClient {
      if (entry.protocol === "anthropic") return (anthropic ??= new AnthropicClient());
      return (openai ??= new OpenAiCompatibleClient()); // "openai" and "azure"
    },
  };
}

/** Loads the SDKs the entries speak (openai ~240 ms), so the first reply does not wait for one; never rejects. */
export async function preloadSdks(entries: readonly Pick<ModelEntry, "protocol">[]): Promise<void> {
  const protocols = new Set(entries.map((e) => e.protocol));
  await Promise.allSettled([
    ...(protocols.has("anthropic") ? [preloadAnthropic()] : []),
    ...(protocols.has("openai") || protocols.has("azure") ? [preloadOpenAi()] : []),
  ]);
}
