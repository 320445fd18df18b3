// One routed request: plan the chain, run passes over it, and retry whole
// passes (p-retry) while every failure was transient.
//
// Passes: after a pass in which every call failed with a transient reason
// (rate_limit, overloaded, timeout, network, server_error), up to 2 more
// passes follow, after 1 s then 2 s. A Retry-After is honoured as the minimum
// wait when it is at most 60 s; when the shortest Retry-After of the pass's
// failures (a failure without one counts as 0) is longer than 60 s, retrying
// cannot help and the request ends. p-retry counts the passes and decides;
// its own timers are off (minTimeout 0) and the waiting is done with the
// injected sleep, so tests run on a ManualClock without real time passing.
import pRetry, { AbortError as StopRetrying } from "p-retry";
import type { Clock } from "../../core/clock.ts";
import type { Logger } from "../../core/logger.ts";
import { ProviderError, type Attempt, type CallTarget, type FailureReason, type ModelDirectory, type RouteOptions, type Routed } from "../types.ts";
import { combineSignals, raceAbort, sleepInterruptibly } from "./abort.ts";
import { RequestPlan, resolveChain, type PlannedTarget } from "./candidates.ts";
import { abortedError, AllCandidatesFailedError, toProviderError } from "./errors.ts";
import type { HealthBook } from "./health.ts";
import { runPass } from "./pass.ts";
import type { RpmLimiter } from "./rate-limit.ts";
import type { Recorder } from "./recorder.ts";
import type { RouterCounters } from "./shared-counters.ts";
import type { SleepFn } from "./types.ts";

export const TRANSIENT_REASONS: ReadonlySet<FailureReason> = new Set([
  "rate_limit",
  "overloaded",
  "timeout",
  "network",
  "server_error",
]);
/** waits before the 2nd and 3rd pass */
export const PASS_BACKOFF_MS: readonly number[] = [1000, 2000];
/** a Retry-After longer than this ends the retries */
export const MAX_RETRY_AFTER_MS = 60_000;

class PassFailed extends Error {
  readonly transient: boolean;
  readonly waitHintMs: number;
  constructor(failures: ProviderError[]) {
    super("every candidate failed in this pass");
    this.name = "PassFailed";
    this.transient = failures.length > 0 && failures.every((f) => TRANSIENT_REASONS.has(f.reason));
    this.waitHintMs = failures.length > 0 ? Math.min(...failures.map((f) => f.retryAfterMs ?? 0)) : 0;
  }
}

export interface EngineDeps {
  directory: ModelDirectory;
  defaults: { primary?: string; fallbacks: string[] };
  clock: Clock;
  logger: Logger;
  sleep: SleepFn;
  health: HealthBook;
  rpm: RpmLimiter;
  recorder: Recorder;
  counters: RouterCounters;
}

export class Engine {
  private readonly d: EngineDeps;
  private readonly warned = new Set<string>();

  constructor(d: EngineDeps) {
    this.d = d;
  }

  private warnOnce = (name: string, why: string): void => {
    if (this.warned.has(name)) return;
    this.warned.add(name);
    this.d.logger.warn({ model: name }, `skipping model "${name}": ${why}`);
  };

  /**
   * Plans synchronously with a synchronous counter store (so concurrent
   * requests rotate through a group; a shared store's atomic take rotates
   * them too) and runs the passes. `run` makes one call; it may throw anything.
   */
  execute<T>(
    route: RouteOptions,
    extraSignal: AbortSignal | undefined,
    run: (target: CallTarget, signal: AbortSignal | undefined) => Promise<T>,
  ): Promise<Routed<T>> {
    let plan: RequestPlan;
    try {
      plan = new RequestPlan(resolveChain(this.d.directory, this.d.defaults, route, this.warnOnce), this.d.counters);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const entering = plan.enter(0);
    const signal = combineSignals(route.signal, extraSignal);
    return entering ? entering.then(() => this.passes(plan, signal, run)) : this.passes(plan, signal, run);
  }

  private async passes<T>(
    plan: RequestPlan,
    signal: AbortSignal | undefined,
    run: (target: CallTarget, signal: AbortSignal | undefined) => Promise<T>,
  ): Promise<Routed<T>> {
    const { clock, recorder, logger } = this.d;
    const attempts: Attempt[] = [];
    /** targets that failed in this request: later passes do not count them again */
    const failedBefore = new Set<string>();

    const attempt = async (pt: PlannedTarget): Promise<T> => {
      if (signal?.aborted) throw abortedError();
      const started = clock.now();
      const recording = this.d.rpm.record(pt.target.entry, started);
      if (recording) await recording;
      try {
        const value = await raceAbort(
          Promise.resolve().then(() => run(pt.target, signal)),
          signal,
        );
        attempts.push(recorder.ok(pt, started));
        return value;
      } catch (err) {
        const pe = toProviderError(err, signal);
        attempts.push(recorder.fail(pt, started, pe, { failedBefore }));
        throw pe;
      }
    };

    const rpmGiveUp = (pt: PlannedTarget, waitMs: number): ProviderError => {
      const limit = pt.target.entry.rpm ?? 0;
      const pe = new ProviderError("rate_limit", `rpm limit ${limit}/min of this entry reached; next slot in ${Math.ceil(waitMs / 1000)}s`, {
        retryAfterMs: waitMs,
      });
      attempts.push(recorder.fail(pt, clock.now(), pe, { called: false }));
      return pe;
    };

    try {
      const outcome = await pRetry(
        async () => {
          let r;
          try {
            if (signal?.aborted) throw abortedError();
            r = await runPass({ plan, health: this.d.health, rpm: this.d.rpm, clock, sleep: this.d.sleep, signal, attempt, rpmGiveUp });
          } catch (err) {
            throw new StopRetrying(err as Error); // a non-fallback failure or an abort: no more passes
          }
          if (r.ok) return r;
          throw new PassFailed(r.failures);
        },
        {
          retries: PASS_BACKOFF_MS.length,
          minTimeout: 0,
          shouldRetry: async ({ error, attemptNumber }) => {
            if (!(error instanceof PassFailed) || !error.transient) return false;
            if (error.waitHintMs > MAX_RETRY_AFTER_MS) {
              logger.warn(
                { retryAfterMs: error.waitHintMs },
                `every candidate failed and asked to wait ${Math.ceil(error.waitHintMs / 1000)}s; not retrying`,
              );
              return false;
            }
            const backoff = PASS_BACKOFF_MS[attemptNumber - 1] ?? PASS_BACKOFF_MS[PASS_BACKOFF_MS.length - 1]!;
            const wait = Math.max(backoff, error.waitHintMs);
            logger.info({ pass: attemptNumber + 1, waitMs: wait }, `every candidate failed (transient); pass ${attemptNumber + 1} in ${wait}ms`);
            await sleepInterruptibly(this.d.sleep, wait, signal);
            return true;
          },
        },
      );
      return { value: outcome.value, target: outcome.target, attempts };
    } catch (err) {
      if (err instanceof PassFailed) throw new AllCandidatesFailedError(attempts);
      throw err;
    }
  }
}
