// Bookkeeping for every attempt: the Attempt record, the target's health
// (cooldowns), the bounded log, pino lines without secrets, and persistence.
import type { Clock } from "../../core/clock.ts";
import type { Logger } from "../../core/logger.ts";
import { NON_FALLBACK_REASONS, type Attempt, type ModelEntry, type ProviderError } from "../types.ts";
import { AttemptRing } from "./attempt-log.ts";
import type { PlannedTarget } from "./candidates.ts";
import { describeAttempt, scrubMessage } from "./errors.ts";
import type { HealthBook } from "./health.ts";
import type { RouterStateStore } from "./state-store.ts";

/** ordinary saves of the health state are this far apart at least */
const SOFT_SAVE_MS = 1000;

export interface RecorderDeps {
  clock: Clock;
  logger: Logger;
  health: HealthBook;
  store: RouterStateStore | undefined;
  logSize: number;
}

export class Recorder {
  private readonly d: RecorderDeps;
  readonly ring: AttemptRing;
  /** entries seen in calls, by id (direct vendor/model references are not in the directory's list) */
  readonly seenEntries = new Map<string, ModelEntry>();

  constructor(d: RecorderDeps) {
    this.d = d;
    this.ring = new AttemptRing(d.logSize);
  }

  private base(pt: PlannedTarget, startedAt: number): Attempt {
    const e = pt.target.entry;
    if (this.seenEntries.get(e.id) !== e) this.seenEntries.set(e.id, e);
    return {
      entryId: e.id,
      modelName: e.modelName,
      model: e.model,
      keyIndex: pt.target.keyIndex,
      ok: false,
      latencyMs: Math.max(0, this.d.clock.now() - startedAt),
      at: startedAt,
    };
  }

  ok(pt: PlannedTarget, startedAt: number): Attempt {
    const a = this.base(pt, startedAt);
    a.ok = true;
    this.ring.push(a);
    const cleared = this.d.health.success(pt.key, pt.target, this.d.clock.now());
    this.persist(cleared);
    if (cleared) {
      this.d.logger.info({ entryId: a.entryId, keyIndex: a.keyIndex }, `provider target recovered: ${a.entryId} key${a.keyIndex + 1}`);
    } else {
      this.d.logger.debug(
        { entryId: a.entryId, model: a.model, keyIndex: a.keyIndex, latencyMs: a.latencyMs },
        "provider call ok",
      );
    }
    return a;
  }

  /**
   * `failedBefore` holds the targets that already failed in this request:
   * a repeat (a later pass) refreshes the error but is not another step.
   */
  fail(pt: PlannedTarget, startedAt: number, err: ProviderError, opts: { called?: boolean; failedBefore?: Set<string> } = {}): Attempt {
    const a = this.base(pt, startedAt);
    a.reason = err.reason;
    if (err.status !== undefined) a.status = err.status;
    a.message = scrubMessage(err.message, pt.target.entry.apiKeys);
    this.ring.push(a);
    const fields = {
      entryId: a.entryId,
      model: a.model,
      keyIndex: a.keyIndex,
      reason: a.reason,
      status: a.status,
      latencyMs: a.latencyMs,
    };
    const line = `${describeAttempt(a)}: ${a.message}`;
    if (err.reason === "aborted") {
      this.d.logger.debug(fields, `provider call aborted: ${line}`);
    } else if (NON_FALLBACK_REASONS.has(err.reason)) {
      // the request was at fault, not the target: no cooldown, but `status` shows why it failed
      this.d.health.note(pt.key, pt.target, err, a.message, this.d.clock.now());
      this.persist(true);
      this.d.logger.warn(fields, `provider call failed, not falling back: ${line}`);
    } else if (opts.called === false) {
      this.d.logger.warn(fields, `provider target skipped: ${line}`);
    } else {
      const now = this.d.clock.now();
      const step = !opts.failedBefore?.has(pt.key);
      opts.failedBefore?.add(pt.key);
      const cooldownMs = this.d.health.failure(pt.key, pt.target, err, a.message, now, step);
      this.persist(true);
      this.d.logger.warn({ ...fields, cooldownMs }, `provider call failed: ${line}; cooling down ${Math.round(cooldownMs / 1000)}s`);
    }
    return a;
  }

  /**
   * Saves the health state. An ordinary save (a success that changed nothing
   * but its time) is made at most once a second: every model call succeeds
   * with one, and each would build a snapshot of every target (and, in a
   * fleet, write the changed rows to PostgreSQL). The last one held back is
   * made by a timer, by the next urgent save, or by flush(). Urgent saves (a
   * failure, a cooldown cleared) go at once.
   */
  persist(urgent: boolean): void {
    if (!this.d.store) return;
    if (!urgent) {
      const since = performance.now() - this.softSavedAt;
      if (since < SOFT_SAVE_MS) {
        this.softTimer ??= setTimeout(() => {
          this.softTimer = undefined;
          this.save(false);
        }, SOFT_SAVE_MS - since).unref();
        return;
      }
    }
    this.save(urgent);
  }

  private softSavedAt = Number.NEGATIVE_INFINITY;
  private softTimer: NodeJS.Timeout | undefined;

  private save(urgent: boolean): void {
    // any save holds everything a held-back one would have
    if (this.softTimer) clearTimeout(this.softTimer);
    this.softTimer = undefined;
    this.softSavedAt = performance.now();
    try {
      this.d.store!.save(this.d.health.persisted(this.d.clock.now()), { urgent });
    } catch (err) {
      this.d.logger.warn({ err: (err as Error).message }, "router state store failed to save");
    }
  }

  flush(): void {
    if (this.softTimer) this.save(false);
    this.d.store?.flush?.();
  }
}
