// The provider router: load balancing and failover.
//
// A request's candidates are its primary and then each fallback, every name
// resolved through the model directory. Entries sharing a model_name form a
// round-robin group whose counter advances once per request; a failing entry
// hands the request to the group's next entry, then down the fallback chain;
// an entry with several keys tries each key before moving on. Failed targets
// cool down (1 m, 5 m, 25 m, 1 h; billing 5 h doubling to 24 h; a longer
// Retry-After wins). format, context_overflow and aborted never fall back.
// When every failure was transient, the whole list gets up to two more passes
// after 1 s and 2 s (p-retry).
import pRetry, { AbortError } from "p-retry";
import type { ChatDelta, ChatRequest, ChatResult } from "../../core/chat.ts";
import { systemClock, type Clock } from "../../core/clock.ts";
import { SwitchboardError } from "../../core/errors.ts";
import { silentLogger, type Logger } from "../../core/logger.ts";
import { classifyThrown, scrubSecrets } from "../failure.ts";
import {
  NON_FALLBACK_REASONS,
  ProviderError,
  type Attempt,
  type CallTarget,
  type ChatRouter,
  type FailureReason,
  type ModelDirectory,
  type ModelEntry,
  type ProviderClient,
  type RouteOptions,
  type Routed,
} from "../types.ts";
import { HealthBook, type TargetHealth } from "./health.ts";
import type { RouterPersisted, RouterStateStore } from "./state-file.ts";

const TRANSIENT: ReadonlySet<FailureReason> = new Set(["rate_limit", "overloaded", "timeout", "network", "server_error"]);
const PASS_BACKOFF_MS = [1000, 2000];
const MAX_RETRY_AFTER_WAIT_MS = 60_000;
const ATTEMPT_LOG = 200;

export interface RouterOptions {
  directory: ModelDirectory;
  clientFor: (entry: ModelEntry) => ProviderClient;
  defaults: { primary?: string; fallbacks: string[] };
  clock?: Clock;
  logger?: Logger;
  stateStore?: RouterStateStore;
  /** interruptible sleep; tests pass one that advances a ManualClock */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface TargetSnapshot extends TargetHealth {
  key: string;
  entryId: string;
  keyIndex: number;
  cooling: boolean;
}

export interface RouterSnapshot {
  at: number;
  targets: TargetSnapshot[];
  groups: Record<string, number>;
  rpm: Record<string, number>;
}

export class AllCandidatesFailedError extends SwitchboardError {
  readonly attempts: Attempt[];
  readonly lastReason: FailureReason | undefined;
  constructor(attempts: Attempt[]) {
    const parts = attempts.filter((a) => !a.ok).map((a) => `${a.entryId} key${a.keyIndex + 1} ${a.reason}${a.status ? ` (${a.status})` : ""} ${Math.round(a.latencyMs)}ms`);
    super("all_candidates_failed", `all ${attempts.length} attempts failed: ${parts.join("; ")}`);
    this.name = "AllCandidatesFailedError";
    this.attempts = attempts;
    this.lastReason = attempts.at(-1)?.reason;
  }
}

function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new ProviderError("aborted", "the request was cancelled"));
    const t = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(t);
      reject(new ProviderError("aborted", "the request was cancelled"));
    }
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export const targetKey = (t: CallTarget) => `${t.entry.id}|${t.keyIndex}`;

export class Router implements ChatRouter {
  private readonly opts: RouterOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly health = new HealthBook();
  private readonly counters = new Map<string, number>();
  private readonly log_: Attempt[] = [];
  private saveTimer: NodeJS.Timeout | undefined;

  constructor(opts: RouterOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? silentLogger();
    this.sleep = opts.sleep ?? realSleep;
    const saved = opts.stateStore?.load();
    for (const [key, h] of Object.entries(saved?.targets ?? {})) this.health.restore(key, h);
  }

  /** The ordered call targets of one request; advances each group's round-robin counter once. */
  candidates(opts: RouteOptions = {}): CallTarget[] {
    const primary = opts.model ?? this.opts.defaults.primary;
    if (!primary) {
      throw new SwitchboardError("not_found", "no model is configured: set agents.defaults.model_name (or model) to a model_list entry, or run `switchboard onboard`");
    }
    const names = [primary, ...(opts.fallbacks ?? (opts.model ? [] : this.opts.defaults.fallbacks))];
    const seen = new Set<string>();
    const unknown: string[] = [];
    const out: CallTarget[] = [];
    for (const name of names) {
      if (seen.has(`name:${name}`)) continue;
      seen.add(`name:${name}`);
      const entries = this.opts.directory.lookup(name);
      if (entries.length === 0) {
        unknown.push(name);
        continue;
      }
      const n = this.counters.get(name) ?? 0;
      this.counters.set(name, n + 1);
      const start = n % entries.length;
      for (const entry of [...entries.slice(start), ...entries.slice(0, start)]) {
        const keys = entry.apiKeys.length ? entry.apiKeys : [undefined];
        keys.forEach((apiKey, keyIndex) => {
          const t: CallTarget = { entry, apiKey, keyIndex };
          if (seen.has(targetKey(t))) return;
          seen.add(targetKey(t));
          out.push(t);
        });
      }
    }
    if (unknown.length) this.log.warn({ models: unknown }, "model names with no configured entry were skipped");
    if (out.length === 0) {
      throw new SwitchboardError(
        "not_found",
        `no configured model matches ${unknown.map((u) => `"${u}"`).join(", ")}: add a model_list entry with that model_name, or give the vendor's api_key under providers`,
      );
    }
    return out;
  }

  async call<T>(opts: RouteOptions, fn: (target: CallTarget, signal: AbortSignal) => Promise<T>): Promise<Routed<T>> {
    const targets = this.candidates(opts);
    const attempts: Attempt[] = [];
    const signal = opts.signal ?? new AbortController().signal;
    const pass = () => this.onePass(targets, attempts, signal, fn);
    try {
      return await pRetry(pass, {
        retries: PASS_BACKOFF_MS.length,
        minTimeout: 0,
        maxTimeout: 0,
        randomize: false,
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
          if (retriesLeft <= 0) return;
          const retryAfter = (error as ProviderError).retryAfterMs ?? 0;
          const wait = Math.max(PASS_BACKOFF_MS[attemptNumber - 1] ?? 2000, retryAfter);
          this.log.info({ waitMs: wait, pass: attemptNumber + 1 }, "every candidate failed transiently; retrying the list");
          await this.sleep(wait, signal);
        },
      });
    } catch (err) {
      if (err instanceof ProviderError && !NON_FALLBACK_REASONS.has(err.reason) && attempts.length > 0) throw new AllCandidatesFailedError(attempts);
      throw err;
    } finally {
      this.scheduleSave();
    }
  }

  private async onePass<T>(
    targets: CallTarget[],
    attempts: Attempt[],
    signal: AbortSignal,
    fn: (target: CallTarget, signal: AbortSignal) => Promise<T>,
  ): Promise<Routed<T>> {
    const now = this.clock.now();
    let order = targets.filter((t) => this.health.coolingUntil(targetKey(t), now) === undefined);
    if (order.length === 0) {
      // everything is cooling down: try the one that recovers first rather than fail without a call
      const soonest = [...targets].sort((a, b) => (this.health.coolingUntil(targetKey(a), now) ?? 0) - (this.health.coolingUntil(targetKey(b), now) ?? 0))[0]!;
      order = [soonest];
    }
    let last: ProviderError | undefined;
    const deferred: CallTarget[] = [];
    const tryTarget = async (t: CallTarget): Promise<Routed<T> | undefined> => {
      if (signal.aborted) throw new AbortError(new ProviderError("aborted", "the request was cancelled"));
      const key = targetKey(t);
      const started = this.clock.now();
      const wallStart = performance.now();
      this.health.noteRequest(t.entry.id, t.entry.rpm, started);
      try {
        const value = await fn(t, signal);
        const attempt = this.record(t, attempts, wallStart, true);
        this.health.success(key, this.clock.now());
        return { value, target: t, attempts: [...attempts.slice(0, -1), attempt] };
      } catch (raw) {
        const err = raw instanceof ProviderError ? raw : classifyThrown(raw, signal, [t.apiKey]);
        this.record(t, attempts, wallStart, false, err);
        if (err.reason === "aborted" || signal.aborted) throw new AbortError(err.reason === "aborted" ? err : new ProviderError("aborted", "the request was cancelled"));
        if (NON_FALLBACK_REASONS.has(err.reason)) throw new AbortError(err);
        const cooldown = this.health.failure(key, this.clock.now(), { reason: err.reason, message: this.short(err, t), ...(err.status !== undefined ? { status: err.status } : {}), ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}) });
        this.log.warn({ entry: t.entry.id, key: t.keyIndex + 1, reason: err.reason, status: err.status, cooldownMs: cooldown }, "model call failed; trying the next candidate");
        last = err;
        return undefined;
      }
    };
    for (const t of order) {
      if (this.health.rpmWait(t.entry.id, t.entry.rpm, this.clock.now()) > 0) {
        deferred.push(t);
        continue;
      }
      const res = await tryTarget(t);
      if (res) return res;
    }
    // rate-limited by our own rpm setting and nothing else answered: wait for the first free slot
    for (const t of deferred) {
      const wait = this.health.rpmWait(t.entry.id, t.entry.rpm, this.clock.now());
      if (wait > MAX_RETRY_AFTER_WAIT_MS) continue;
      if (wait > 0) await this.sleep(wait, signal);
      const res = await tryTarget(t);
      if (res) return res;
    }
    if (!last) {
      last = new ProviderError("rate_limit", `every candidate is at its rpm limit`);
    }
    // only transient failures earn another pass, and never a wait longer than a minute
    const retryable = attempts.filter((a) => !a.ok).every((a) => a.reason !== undefined && TRANSIENT.has(a.reason));
    if (!retryable || (last.retryAfterMs ?? 0) > MAX_RETRY_AFTER_WAIT_MS) throw new AbortError(last);
    throw last;
  }

  private short(err: ProviderError, t: CallTarget): string {
    return scrubSecrets(err.message, [t.apiKey]).slice(0, 200);
  }

  private record(t: CallTarget, attempts: Attempt[], wallStart: number, ok: boolean, err?: ProviderError): Attempt {
    const a: Attempt = {
      entryId: t.entry.id,
      modelName: t.entry.modelName,
      model: t.entry.model,
      keyIndex: t.keyIndex,
      ok,
      latencyMs: performance.now() - wallStart,
      at: this.clock.now(),
      ...(err ? { reason: err.reason, message: this.short(err, t) } : {}),
      ...(err?.status !== undefined ? { status: err.status } : {}),
    };
    attempts.push(a);
    this.log_.push(a);
    if (this.log_.length > ATTEMPT_LOG) this.log_.shift();
    return a;
  }

  async chat(req: ChatRequest, opts: RouteOptions = {}): Promise<ChatResult & { entry: ModelEntry; attempts: Attempt[] }> {
    const signal = opts.signal ?? req.signal;
    const routed = await this.call({ ...opts, ...(signal ? { signal } : {}) }, (t, s) => this.opts.clientFor(t.entry).chat(t, { ...req, signal: s }));
    return { ...routed.value, entry: routed.target.entry, attempts: routed.attempts };
  }

  /** Streams; failover happens only before the first delta reaches the caller. */
  async *stream(req: ChatRequest, opts: RouteOptions = {}): AsyncIterable<ChatDelta> {
    const signal = opts.signal ?? req.signal;
    const routed = await this.call({ ...opts, ...(signal ? { signal } : {}) }, async (t, s) => {
      const it = this.opts.clientFor(t.entry).stream(t, { ...req, signal: s })[Symbol.asyncIterator]();
      const first = await it.next(); // failures before the first delta still fail over
      return { it, first };
    });
    const { it, first } = routed.value;
    if (first.done) return;
    yield first.value;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield next.value;
    }
  }

  attemptsLog(limit = 50): Attempt[] {
    return this.log_.slice(-limit);
  }

  snapshot(): RouterSnapshot {
    const now = this.clock.now();
    const rpm: Record<string, number> = {};
    for (const e of this.opts.directory.all()) if (e.rpm) rpm[e.id] = this.health.rpmUsed(e.id, now);
    return {
      at: now,
      targets: this.health.entries().map(([key, h]) => {
        const [entryId, k] = [key.slice(0, key.lastIndexOf("|")), key.slice(key.lastIndexOf("|") + 1)];
        return { key, entryId, keyIndex: Number(k), cooling: h.cooldownUntil > now, ...h };
      }),
      groups: Object.fromEntries(this.counters),
      rpm,
    };
  }

  persisted(): RouterPersisted {
    return { version: 1, savedAt: this.clock.now(), targets: Object.fromEntries(this.health.entries()), attempts: this.attemptsLog(20) };
  }

  private scheduleSave(): void {
    if (!this.opts.stateStore || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.flush();
    }, 200);
    this.saveTimer.unref();
  }

  /** writes the state now (shutdown, the CLI's one-shot agent) */
  flush(): void {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
    }
    try {
      this.opts.stateStore?.save(this.persisted());
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "could not save router state");
    }
  }
}

export function createRouter(opts: RouterOptions): Router {
  return new Router(opts);
}
