// A live check of one model entry: a one-token request through the entry's
// protocol client, as `status --probe`, `doctor` and `onboard` make it.
import { classifyThrown } from "../providers/failure.ts";
import { createClientFactory } from "../providers/protocols/factory.ts";
import { scrubMessage } from "../providers/router/errors.ts";
import type { ModelEntry } from "../providers/types.ts";

export interface Probe {
  ok: boolean;
  latencyMs: number;
  /** the closed failure reason (auth, network, model_not_found, …) */
  reason?: string;
  message?: string;
}

/** what to do about a failed probe, by its reason */
export const PROBE_FIXES: Record<string, string> = {
  auth: "the API key is wrong or revoked: set api_key (or the provider's key variable)",
  billing: "the account has no credit or quota left: check billing with the provider",
  model_not_found: "the provider does not know this model: check the model name (switchboard status lists the entries)",
  network: "the endpoint cannot be reached: check api_base, DNS, the proxy and the network",
  timeout: "the endpoint did not answer in time: check api_base and the network, or raise request_timeout",
  rate_limit: "the provider is rate limiting this key right now; it will recover, or add keys or a fallback",
  overloaded: "the provider is overloaded right now; add a fallback model",
  server_error: "the provider answered with a server error; try again later or add a fallback",
  format: "the endpoint did not answer like the protocol expects: check api_base (LiteLLM: the proxy root) and the vendor prefix",
};

export async function probeModel(entry: ModelEntry, keyIndex: number, timeoutMs = 20_000): Promise<Probe> {
  const client = createClientFactory().clientFor(entry);
  const started = performance.now();
  try {
    await client.chat({ entry: { ...entry, requestTimeoutMs: Math.min(entry.requestTimeoutMs, timeoutMs) }, apiKey: entry.apiKeys[keyIndex], keyIndex }, { messages: [{ role: "user", content: "ping" }], maxTokens: 1 });
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    const e = classifyThrown(err);
    return { ok: false, latencyMs: Math.round(performance.now() - started), reason: e.reason, message: scrubMessage(e.message, entry.apiKeys) };
  }
}
