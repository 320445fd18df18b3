// The provider router: load balancing (round-robin per model_name group),
// key and entry failover along fallback chains, cooldowns, rpm limits and
// retry passes. See router.ts for the entry point.
export { createRouter } from "./router.ts";
export type { Router, RouterOptions, RouterSnapshot, TargetSnapshot, LastError, SleepFn } from "./types.ts";
export { AllCandidatesFailedError, toProviderError, scrubMessage, describeAttempt } from "./errors.ts";
export {
  memoryStateStore,
  fileStateStore,
  readRouterState,
  parseRouterState,
  RouterPersistedSchema,
  type RouterStateStore,
  type RouterPersisted,
  type PersistedTarget,
  type FileStateStoreOptions,
} from "./state-store.ts";
export { COOLDOWN_STEPS_MS, BILLING_BASE_MS, BILLING_CAP_MS, QUIET_RESET_MS, cooldownMs } from "./cooldown.ts";
export { RPM_WINDOW_MS } from "./rate-limit.ts";
export { memoryCounters, sqliteCounters, type MaybePromise, type RouterCounters } from "./shared-counters.ts";
export { MAX_RPM_WAIT_MS } from "./pass.ts";
export { PASS_BACKOFF_MS, MAX_RETRY_AFTER_MS, TRANSIENT_REASONS } from "./engine.ts";
export { targetKey } from "./health.ts";
