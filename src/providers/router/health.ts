// The router's memory of every target it has called: cooldowns, counters,
// last error and last success, keyed by WHAT was called — protocol, endpoint,
// model id and a fingerprint of the key — never by position in model_list.
// Reordering entries keeps their state; fixing an api_base, changing the
// model or replacing a key starts fresh, because that is a different target.
import { createHash } from "node:crypto";
import type { CallTarget, FailureReason, ModelEntry } from "../types.ts";
import {
  applyFailure,
  applySuccess,
  effectiveErrorCount,
  emptyHealth,
  isCooling,
  noteError,
  QUIET_RESET_MS,
  type TargetHealth,
} from "./cooldown.ts";
import type { RouterPersisted } from "./state-store.ts";

// every request plans its targets, so each key was hashed on every model call
const knownKeys = new Map<string, string>();

/**
 * The health key of one call target: a short hash of protocol, endpoint,
 * model id and key. Holds no secret (the key, and any password in api_base,
 * only enter the hash) and is stable across processes and restarts.
 */
export function targetKey(entry: Pick<ModelEntry, "protocol" | "apiBase" | "modelId">, apiKey: string | undefined): string {
  const input = `${entry.protocol}\n${entry.apiBase}\n${entry.modelId}\n${apiKey ?? ""}`;
  let key = knownKeys.get(input);
  if (key === undefined) {
    key = createHash("sha256").update(input).digest("base64url").slice(0, 22);
    // the targets of one config are few; a map that outgrows any config starts over
    if (knownKeys.size >= 4096) knownKeys.clear();
    knownKeys.set(input, key);
  }
  return key;
}

export class HealthBook {
  private readonly map = new Map<string, TargetHealth>();

  get(key: string): TargetHealth | undefined {
    return this.map.get(key);
  }

  cooling(key: string, now: number): boolean {
    return isCooling(this.map.get(key), now);
  }

  /** cooldown end for a cooling target, else 0 */
  cooldownEnd(key: string, now: number): number {
    const h = this.map.get(key);
    return isCooling(h, now) ? h!.cooldownUntil! : 0;
  }

  private ensure(key: string, t: CallTarget): TargetHealth {
    let h = this.map.get(key);
    if (!h) {
      h = emptyHealth(t.entry.id, t.entry.modelName, t.keyIndex);
      this.map.set(key, h);
    }
    return h;
  }

  /** Returns the cooldown started, in ms. */
  failure(
    key: string,
    t: CallTarget,
    err: { reason: FailureReason; status?: number | undefined; retryAfterMs?: number | undefined },
    message: string,
    now: number,
    step = true,
  ): number {
    return applyFailure(this.ensure(key, t), err, message, now, step);
  }

  /** Keeps a request-level failure (400, context overflow) as the target's last error, without a cooldown. */
  note(key: string, t: CallTarget, err: { reason: FailureReason; status?: number | undefined }, message: string, now: number): void {
    noteError(this.ensure(key, t), err, message, now);
  }

  /** Returns true when error state was cleared. */
  success(key: string, t: CallTarget, now: number): boolean {
    return applySuccess(this.ensure(key, t), now);
  }

  /** A person's "try it again now": the cooldown ends and the error count restarts; the last error stays for the record. */
  clear(key: string): boolean {
    const h = this.map.get(key);
    if (!h || (h.cooldownUntil === null && h.errorCount === 0)) return false;
    h.cooldownUntil = null;
    h.errorCount = 0;
    h.billingCount = 0;
    return true;
  }

  all(): IterableIterator<[string, TargetHealth]> {
    return this.map.entries();
  }

  load(state: RouterPersisted): void {
    for (const { key, ...t } of state.targets) this.map.set(key, { ...t, lastError: t.lastError ? { ...t.lastError } : null });
  }

  /** State worth keeping: records cooling, with live error counts, or with a failure or success in the last 24 h. */
  persisted(now: number): RouterPersisted {
    const targets: RouterPersisted["targets"] = [];
    const recent = (at: number | null) => at !== null && now - at < QUIET_RESET_MS;
    for (const [key, h] of this.map) {
      const live = isCooling(h, now) || effectiveErrorCount(h, now) > 0;
      if (!live && !recent(h.lastFailureAt) && !recent(h.lastSuccessAt)) continue;
      targets.push({ key, ...h, lastError: h.lastError ? { ...h.lastError } : null });
    }
    return { version: 2, savedAt: now, targets };
  }
}
