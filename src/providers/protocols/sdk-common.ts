// What the two SDK-based clients share: the cache key of an SDK client (per
// everything that shapes its requests, so a reload that changes a timeout,
// proxy or header gets a fresh client) and the mapping of SDK errors.
import { classifyHttp, classifyThrown } from "../failure.ts";
import { ProviderError, type CallTarget } from "../types.ts";

export function clientKey(t: CallTarget): string {
  const e = t.entry;
  return JSON.stringify([e.id, e.protocol, e.apiBase, t.keyIndex, t.apiKey?.length ?? 0, e.requestTimeoutMs, e.proxy ?? "", e.customHeaders ?? {}, e.apiVersion ?? ""]);
}

/** Any error the openai or anthropic SDK threw, as a closed ProviderError (no key in the message). */
export function sdkFailure(err: unknown, target: CallTarget, signal?: AbortSignal): ProviderError {
  const e = err as { status?: number; error?: unknown; headers?: Headers; name?: string };
  if (signal?.aborted) return classifyThrown(err, signal);
  if (typeof e.status === "number") return classifyHttp(e.status, e.error ?? {}, e.headers, [target.apiKey]);
  if (e.name === "APIConnectionTimeoutError") return new ProviderError("timeout", `no answer within ${Math.round(target.entry.requestTimeoutMs / 1000)} s (request_timeout)`, { cause: err });
  return classifyThrown((err as { cause?: unknown }).cause ?? err, signal, [target.apiKey]);
}
