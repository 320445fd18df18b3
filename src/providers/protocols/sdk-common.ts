// What the two SDK-based clients share: their cache of SDK clients (one per
// entry and key, so a reload that changes a timeout, proxy or header gets a
// fresh client) and the mapping of SDK errors.
import { classifyHttp, classifyThrown } from "../failure.ts";
import { ProviderError, type CallTarget, type ModelEntry } from "../types.ts";

/**
 * SDK clients per model entry and key. Entries are never changed in place (a
 * reload builds new ones), so the entry object itself is the key for
 * everything that shapes a client's requests; the lookup on every call is two
 * map reads, not a serialization of the entry. Clients of entries a reload
 * dropped go with them (WeakMap).
 */
export class SdkClientCache<C> {
  private readonly byEntry = new WeakMap<ModelEntry, Map<string | undefined, Promise<C>>>();

  get(target: CallTarget, create: () => Promise<C>): Promise<C> {
    let byKey = this.byEntry.get(target.entry);
    if (!byKey) this.byEntry.set(target.entry, (byKey = new Map()));
    let client = byKey.get(target.apiKey);
    if (!client) {
      client = create();
      byKey.set(target.apiKey, client);
      // a failed creation (no api_base, the SDK did not load) is tried again by the next call
      client.catch(() => byKey.delete(target.apiKey));
    }
    return client;
  }
}

/**
 * The entry's request_timeout passed: before any answer came (`silent`
 * false) or while a started stream said nothing (`silent` true).
 */
export function requestTimedOut(target: CallTarget, silent: boolean, cause?: unknown): ProviderError {
  const seconds = Math.round(target.entry.requestTimeoutMs / 1000);
  const what = silent ? `the stream went silent for ${seconds} s` : `no answer within ${seconds} s`;
  return new ProviderError("timeout", `${what} (request_timeout)`, { cause });
}

/** Any error the openai or anthropic SDK threw, as a closed ProviderError (no key in the message). */
export function sdkFailure(err: unknown, target: CallTarget, signal?: AbortSignal): ProviderError {
  const e = err as { status?: number; error?: unknown; headers?: Headers; name?: string };
  if (signal?.aborted) return classifyThrown(err, signal);
  if (typeof e.status === "number") return classifyHttp(e.status, e.error ?? {}, e.headers, [target.apiKey]);
  if (e.name === "APIConnectionTimeoutError") return requestTimedOut(target, false, err);
  return classifyThrown((err as { cause?: unknown }).cause ?? err, signal, [target.apiKey]);
}
