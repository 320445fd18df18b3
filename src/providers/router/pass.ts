// One pass over a request's candidates.
//
//  - targets cooling down are skipped; when every target is cooling, the pass
//    makes one call, to the target whose cooldown ends first;
//  - a target whose entry is at its rpm limit is put aside while others
//    remain, then waited for (up to 60 s) when it is all that is left;
//  - a failure whose reason is in NON_FALLBACK_REASONS ends the request with
//    that ProviderError; any other failure moves on to the next target.
import type { Clock } from "../../core/clock.ts";
import { NON_FALLBACK_REASONS, ProviderError, type CallTarget } from "../types.ts";
import { sleepInterruptibly } from "./abort.ts";
import type { PlannedTarget, RequestPlan } from "./candidates.ts";
import type { HealthBook } from "./health.ts";
import type { RpmLimiter } from "./rate-limit.ts";
import type { SleepFn } from "./types.ts";

/** the longest the router waits for an rpm slot */
export const MAX_RPM_WAIT_MS = 60_000;

export interface PassDeps<T> {
  plan: RequestPlan;
  health: HealthBook;
  rpm: RpmLimiter;
  clock: Clock;
  sleep: SleepFn;
  signal: AbortSignal | undefined;
  /** makes one call; resolves with the value or rejects with a ProviderError (already recorded) */
  attempt: (pt: PlannedTarget) => Promise<T>;
  /** a target put aside for good because its rpm wait is too long */
  rpmGiveUp: (pt: PlannedTarget, waitMs: number) => ProviderError;
}

export type PassOutcome<T> = { ok: true; value: T; target: CallTarget } | { ok: false; failures: ProviderError[] };

function soonest(plan: RequestPlan, health: HealthBook, now: number): PlannedTarget | undefined {
  let best: PlannedTarget | undefined;
  let bestEnd = Number.POSITIVE_INFINITY;
  for (const pt of plan.all()) {
    const end = health.cooldownEnd(pt.key, now);
    if (end < bestEnd) {
      best = pt;
      bestEnd = end;
    }
  }
  return best;
}

export async function runPass<T>(d: PassDeps<T>): Promise<PassOutcome<T>> {
  const failures: ProviderError[] = [];
  const deferred: PlannedTarget[] = [];

  const tryOne = async (pt: PlannedTarget): Promise<PassOutcome<T> | undefined> => {
    try {
      const value = await d.attempt(pt);
      return { ok: true, value, target: pt.target };
    } catch (err) {
      const pe = err as ProviderError;
      if (NON_FALLBACK_REASONS.has(pe.reason)) throw pe;
      failures.push(pe);
      return undefined;
    }
  };

  const now = d.clock.now();
  const anyFree = d.plan.groups.some((g) => g.entries.some((ts) => ts.some((pt) => !d.health.cooling(pt.key, now))));
  if (anyFree) {
    for (let gi = 0; gi < d.plan.groups.length; gi++) {
      const entering = d.plan.enter(gi);
      if (entering) await entering;
      for (const pt of d.plan.ordered(gi)) {
        const t = d.clock.now();
        if (d.health.cooling(pt.key, t)) continue;
        const w = d.rpm.waitMs(pt.target.entry, t);
        if ((typeof w === "number" ? w : await w) > 0) {
          deferred.push(pt);
          continue;
        }
        const r = await tryOne(pt);
        if (r) return r;
      }
    }
  } else {
    const pt = soonest(d.plan, d.health, now);
    if (pt) {
      const entering = d.plan.enter(pt.group);
      if (entering) await entering;
      deferred.push(pt);
    }
  }

  for (const pt of deferred) {
    const w = d.rpm.waitMs(pt.target.entry, d.clock.now());
    const wait = typeof w === "number" ? w : await w;
    if (wait > MAX_RPM_WAIT_MS) {
      failures.push(d.rpmGiveUp(pt, wait));
      continue;
    }
    if (wait > 0) await sleepInterruptibly(d.sleep, wait, d.signal);
    const r = await tryOne(pt);
    if (r) return r;
  }
  return { ok: false, failures };
}
