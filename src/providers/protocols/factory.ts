// One client per protocol family, created on first use.
import type { ModelEntry, ProviderClient } from "../types.ts";
import { AnthropicClient } from "./anthropic-client.ts";
import { OpenAiCompatibleClient } from "./openai-client.ts";

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
