// What every protocol client shares: a label for messages, the secrets to
// scrub, the per-call abort/timeout bookkeeping, and a small cache of SDK
// client instances (one per entry/key/proxy combination).
import { fetchFor, ProxyConfigError, redactUrl, type FetchFn } from "../../net/http.ts";
import { classifyThrown, providerError, type ClassifyOptions } from "../classify.ts";
import { ProviderError, type CallTarget, type ModelEntry } from "../types.ts";
import type { ChatRequest } from "../../core/chat.ts";

/** `model "gpt4" (openai/gpt-4o at https://api.openai.com/v1)` — never includes a key. */
export function labelOf(entry: ModelEntry): string {
  const base = entry.apiBase ? ` at ${redactUrl(entry.apiBase)}` : "";
  return `model "${entry.modelName}" (${entry.model}${base})`;
}

/** Strings that must never appear in a message: the key in use, the entry's keys, the proxy URL's password. */
export function secretsOf(target: CallTarget): string[] {
  const out = [target.apiKey, ...target.entry.apiKeys].filter((s): s is string => !!s);
  if (target.entry.proxy) {
    try {
      const u = new URL(target.entry.proxy);
      if (u.password) out.push(decodeURIComponent(u.password), u.password);
    } catch {
      // not a URL: nothing to extract
    }
  }
  return out;
}

export function classifyOptions(target: CallTarget): ClassifyOptions {
  return { label: labelOf(target.entry), secrets: secretsOf(target) };
}

/** The fetch for the entry's proxy; a bad proxy setting becomes a `network` ProviderError. */
export function entryFetch(target: CallTarget): FetchFn {
  try {
    return fetchFor(target.entry.proxy);
  } catch (err) {
    if (err instanceof ProxyConfigError) throw providerError("network", err.message, classifyOptions(target));
    throw err;
  }
}

/**
 * One call's cancellation: an internal signal that follows the caller's, plus
 * an idle timer for streams (armed by touch(), reset on every event).
 */
export class CallScope {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly caller: AbortSignal | undefined;
  private readonly opts: ClassifyOptions;
  private readonly idleMs: number;
  private timer: NodeJS.Timeout | undefined;
  private idleExpired = false;
  private finished = false;
  private readonly onAbort = () => this.controller.abort(this.caller?.reason);

  constructor(target: CallTarget, req: ChatRequest) {
    this.signal = this.controller.signal;
    this.caller = req.signal;
    this.opts = classifyOptions(target);
    this.idleMs = target.entry.requestTimeoutMs;
    if (this.caller?.aborted) this.controller.abort(this.caller.reason);
    else this.caller?.addEventListener("abort", this.onAbort, { once: true });
  }

  /** Throws "aborted" when the caller has already given up. */
  checkCaller(): void {
    if (this.caller?.aborted) throw classifyThrown(this.caller.reason, this.caller, this.opts);
  }

  /** (Re)arms the idle timer: the stream fails with `timeout` after requestTimeoutMs without an event. */
  touch(): void {
    if (this.finished || this.idleMs <= 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.idleExpired = true;
      this.controller.abort(new Error("idle timeout"));
    }, this.idleMs);
  }

  /** The ProviderError for anything thrown during the call. */
  fail(err: unknown): ProviderError {
    if (this.caller?.aborted) return classifyThrown(err, this.caller, this.opts);
    if (this.idleExpired) {
      return providerError("timeout", `no data from the provider for ${Math.round(this.idleMs / 1000)}s while streaming`, {
        ...this.opts,
        cause: err,
      });
    }
    return classifyThrown(err, undefined, this.opts);
  }

  /** A `network` error for a stream that ended before the provider said it was finished. */
  truncated(what: string): ProviderError {
    if (this.caller?.aborted || this.idleExpired) return this.fail(new Error(what));
    return providerError("network", `the stream ended early: ${what}`, this.opts);
  }

  /** Releases timers and listeners; cancels the request when it did not complete. */
  done(completed: boolean): void {
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.caller?.removeEventListener("abort", this.onAbort);
    if (!completed && !this.signal.aborted) this.controller.abort(new Error("call ended"));
  }

  get options(): ClassifyOptions {
    return this.opts;
  }
}

/** A bounded cache of SDK clients, keyed by everything that shapes one. */
export class ClientCache<T> {
  private readonly map = new Map<string, T>();
  private readonly max: number;
  constructor(max = 64) {
    this.max = max;
  }
  get(key: unknown[], make: () => T): T {
    const k = JSON.stringify(key);
    let v = this.map.get(k);
    if (v === undefined) {
      v = make();
      this.map.set(k, v);
      if (this.map.size > this.max) {
        const oldest = this.map.keys().next().value;
        if (oldest !== undefined) this.map.delete(oldest);
      }
    }
    return v;
  }
}

/** Merges extra_body into a request body: a `null` value removes the key; messages and stream stay ours. */
export function mergeExtraBody(body: Record<string, unknown>, extra: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!extra) return body;
  for (const [k, v] of Object.entries(extra)) {
    if (k === "messages" || k === "stream") continue;
    if (v === null) delete body[k];
    else body[k] = v;
  }
  return body;
}

/** Silences the SDKs' own console logging (our errors carry what matters). */
export const SDK_LOG_LEVEL = "off" as const;

/** A `format` error for a request we cannot express in this protocol. */
export function unsupported(target: CallTarget, what: string): ProviderError {
  return providerError("format", what, classifyOptions(target));
}
