// createRouter: chat, stream and any other call routed over the configured
// chain with round-robin, key failover, cooldowns, rpm limits and passes.
// The rules live in candidates.ts, pass.ts, engine.ts and cooldown.ts; this
// file wires them to the protocol clients and answers snapshot().
import { systemClock } from "../../core/clock.ts";
import { silentLogger } from "../../core/logger.ts";
import { registerConfigSecrets } from "../../core/redact.ts";
import type { ChatDelta, ChatRequest, ChatResult } from "../../core/chat.ts";
import type { Attempt, CallTarget, ModelEntry, ProviderClient, RouteOptions, Routed } from "../types.ts";
import { combineSignals, raceAbort, realSleep } from "./abort.ts";
import { targetsOf } from "./candidates.ts";
import { effectiveErrorCount, isCooling, type TargetHealth } from "./cooldown.ts";
import { Engine } from "./engine.ts";
import { abortedError, toProviderError } from "./errors.ts";
import { HealthBook, targetKey } from "./health.ts";
import { RpmLimiter } from "./rate-limit.ts";
import { Recorder } from "./recorder.ts";
import { memoryCounters } from "./shared-counters.ts";
import type { Router, RouterOptions, RouterSnapshot, TargetSnapshot } from "./types.ts";

/** handed to call() functions when the caller gave no signal */
const NEVER_ABORTED = new AbortController().signal;

function withSignal(req: ChatRequest, signal: AbortSignal | undefined): ChatRequest {
  return signal && signal !== req.signal ? { ...req, signal } : req;
}

function closeQuietly(it: AsyncIterator<unknown>): void {
  try {
    const p = it.return?.();
    if (p) p.catch(() => {});
  } catch {
    // a client's iterator that cannot be closed has nothing left to release
  }
}

/**
 * Reads of a stream that an abort ends at once, even when the client's
 * iterator ignores the signal. One abort listener for the whole stream, not
 * one added and removed per delta (a long answer has hundreds): the abort
 * rejects the read in flight.
 */
function abortableReads<T>(it: AsyncIterator<T>, signal: AbortSignal | undefined): { next(): Promise<IteratorResult<T>>; done(): void } {
  if (!signal) return { next: () => it.next(), done: () => undefined };
  let failRead: ((err: unknown) => void) | undefined;
  const onAbort = () => failRead?.(abortedError());
  signal.addEventListener("abort", onAbort, { once: true });
  return {
    next() {
      if (signal.aborted) return Promise.reject(abortedError());
      return new Promise<IteratorResult<T>>((resolve, reject) => {
        failRead = reject;
        // a read the abort overtook may still settle later: it lands on a settled promise
        it.next().then(resolve, reject);
      });
    },
    done: () => signal.removeEventListener("abort", onAbort),
  };
}

export function createRouter(opts: RouterOptions): Router {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? silentLogger();
  const sleep = opts.sleep ?? realSleep;
  const health = new HealthBook();
  const counters = opts.counters ?? memoryCounters();
  const rpm = new RpmLimiter(counters);
  const recorder = new Recorder({ clock, logger, health, store: opts.stateStore, logSize: opts.attemptsLogSize ?? 500 });
  const engine = new Engine({ directory: opts.directory, defaults: opts.defaults, clock, logger, sleep, health, rpm, recorder, counters });

  // keys from the environment and the auth store are secrets too, not only the config file's
  registerConfigSecrets(opts.directory.all().map((e) => ({ api_keys: e.apiKeys, headers: e.customHeaders, proxy: e.proxy, base: e.apiBase })));
  const restored = opts.stateStore?.load();
  if (restored) health.load(restored);
  opts.stateStore?.watch?.((changed) => health.load(changed));

  const clients = new WeakMap<ModelEntry, ProviderClient>();
  const clientOf = (entry: ModelEntry): ProviderClient => {
    let c = clients.get(entry);
    if (!c) {
      c = opts.clientFor(entry);
      clients.set(entry, c);
    }
    return c;
  };

  async function chat(req: ChatRequest, route: RouteOptions = {}): Promise<ChatResult & { entry: ModelEntry; attempts: Attempt[] }> {
    const r = await engine.execute(route, req.signal, (target, signal) => clientOf(target.entry).chat(target, withSignal(req, signal)));
    return { ...r.value, entry: r.target.entry, attempts: r.attempts };
  }

  async function* stream(req: ChatRequest, route: RouteOptions = {}): AsyncGenerator<ChatDelta, void, undefined> {
    const signal = combineSignals(route.signal, req.signal);
    // Failover happens inside execute(): a target counts as answering once its first delta arrives.
    const routed = await engine.execute(route, req.signal, async (target, sig) => {
      const it = clientOf(target.entry).stream(target, withSignal(req, sig))[Symbol.asyncIterator]();
      try {
        const first = await raceAbort(it.next(), sig);
        return { it, first };
      } catch (err) {
        closeQuietly(it);
        throw err;
      }
    });
    const { it, first } = routed.value;
    route.onRouted?.({ target: routed.target, attempts: routed.attempts });
    const started = clock.now();
    const reads = abortableReads(it, signal);
    let r = first;
    let ended = false;
    try {
      while (!r.done) {
        yield r.value;
        r = await reads.next();
      }
      ended = true;
    } catch (err) {
      // After the first delta there is no failover: record the failure and let it propagate.
      const pe = toProviderError(err, signal);
      const pt = { target: routed.target, key: targetKey(routed.target.entry, routed.target.apiKey), group: 0 };
      recorder.fail(pt, started, pe);
      throw pe;
    } finally {
      reads.done();
      if (!ended) closeQuietly(it);
    }
  }

  function call<T>(route: RouteOptions, fn: (target: CallTarget, signal: AbortSignal) => Promise<T>): Promise<Routed<T>> {
    return engine.execute(route, undefined, (target, signal) => fn(target, signal ?? NEVER_ABORTED));
  }

  function snapshot(): RouterSnapshot {
    const now = clock.now();
    const targets: TargetSnapshot[] = [];
    const listed = new Set<string>();
    const one = (key: string, entryId: string, modelName: string, keyIndex: number, entry: ModelEntry | undefined) => {
      const h: TargetHealth | undefined = health.get(key);
      listed.add(key);
      targets.push({
        key,
        entryId,
        modelName,
        ...(entry ? { model: entry.model } : {}),
        keyIndex,
        cooldownUntil: h && isCooling(h, now) ? h.cooldownUntil : null,
        errorCount: h ? effectiveErrorCount(h, now) : 0,
        lastError: h?.lastError ? { ...h.lastError } : null,
        lastSuccessAt: h?.lastSuccessAt ?? null,
        rpm: entry ? rpm.usage(entry, now) : null,
      });
    };
    for (const e of opts.directory.all()) {
      for (const pt of targetsOf(e, 0)) one(pt.key, e.id, e.modelName, pt.target.keyIndex, e);
    }
    for (const [key, h] of health.all()) {
      if (!listed.has(key)) one(key, h.entryId, h.modelName, h.keyIndex, recorder.seenEntries.get(h.entryId));
    }
    return { at: now, targets, groups: counters.groups() };
  }

  return {
    chat,
    stream,
    call,
    snapshot,
    attemptsLog: (limit?: number) => recorder.ring.recent(limit),
    clearCooldown: (key: string) => {
      const cleared = health.clear(key);
      if (cleared) recorder.persist(true);
      return cleared;
    },
    flush: () => recorder.flush(),
    close: () => {
      recorder.flush();
      opts.stateStore?.close?.();
      // a shared store closes in the background; routing is over either way
      void Promise.resolve(counters.close()).catch(() => {});
    },
  };
}
