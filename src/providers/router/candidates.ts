// Which targets a request may use, in which order.
//
// The chain is the primary (RouteOptions.model or agents.defaults primary)
// then each fallback (RouteOptions.fallbacks, else the default chain — pass
// `fallbacks: []` to use one model alone), each name resolved through the
// model directory to a group of entries. An entry that
// already appeared earlier in the chain is dropped (doc 002's "production"
// example lists its own group as a fallback).
//
// Round-robin: each group (model_name) has a counter that advances once per
// request that reaches the group; the request starts at that entry and tries
// the group's other entries in order after it.
//
// Keys: an entry with several api_keys is several targets, tried in the
// configured key order (key 0 first, the others as failover) before the next
// entry. Spreading load is done with several entries, as doc 002 shows.
import { EXIT_CONFIG, SwitchboardError } from "../../core/errors.ts";
import type { CallTarget, ModelDirectory, ModelEntry } from "../types.ts";
import { unsupportedReason } from "../entry-checks.ts";
import { targetKey } from "./health.ts";
import { whenReady, type MaybePromise, type RouterCounters } from "./shared-counters.ts";

export interface PlannedTarget {
  target: CallTarget;
  /** health key: targetKey(entry, apiKey) */
  key: string;
  /** index of its group in the plan */
  group: number;
}

export interface PlannedGroup {
  /** round-robin counter key: the group's model_name */
  name: string;
  /** the reference that named it in the chain */
  ref: string;
  /** targets per entry, entries in configured order */
  entries: PlannedTarget[][];
}

export function targetsOf(entry: ModelEntry, group: number): PlannedTarget[] {
  const keys: (string | undefined)[] = entry.apiKeys.length > 0 ? entry.apiKeys : [undefined];
  return keys.map((apiKey, keyIndex) => ({
    target: { entry, apiKey, keyIndex },
    key: targetKey(entry, apiKey),
    group,
  }));
}

export interface ChainSpec {
  model?: string | undefined;
  fallbacks?: string[] | undefined;
}

/**
 * Resolves the chain to groups of entries. Unknown or disabled names are
 * skipped with a warning (once per name); nothing resolvable at all is an
 * error that says how to configure a model.
 */
export function resolveChain(
  directory: ModelDirectory,
  defaults: { primary?: string; fallbacks: string[] },
  spec: ChainSpec,
  warn: (name: string, why: string) => void,
): PlannedGroup[] {
  const primary = (spec.model ?? defaults.primary)?.trim();
  if (!primary) {
    throw new SwitchboardError(
      "usage",
      'no model configured: set agents.defaults.model_name (or agents.defaults.model.primary) to a model_name from model_list, e.g. "gpt-5.4", or to a vendor/model reference such as "openai/gpt-5.4"',
      { exitCode: EXIT_CONFIG },
    );
  }
  const names = [primary];
  for (const f of spec.fallbacks ?? defaults.fallbacks) {
    const name = f.trim();
    if (name && !names.includes(name)) names.push(name);
  }

  const seen = new Set<string>();
  const groups: PlannedGroup[] = [];
  const unknown: string[] = [];
  for (const ref of names) {
    const found = directory.lookup(ref);
    const callable = found.filter((e) => {
      const why = unsupportedReason(e.model);
      if (why) warn(`${ref} (${e.id})`, why);
      return !why;
    });
    const enabled = callable.filter((e) => e.enabled !== false);
    if (found.length === 0) {
      unknown.push(ref);
      warn(ref, "no model_list entry, alias or vendor/model reference matches it");
      continue;
    }
    if (callable.length === 0) {
      unknown.push(ref);
      continue; // every entry's vendor is unsupported; the warning said why
    }
    if (enabled.length === 0) {
      unknown.push(ref);
      warn(ref, "all its entries are disabled (enabled: false)");
      continue;
    }
    const fresh = enabled.filter((e) => {
      if (seen.has(e.id)) return false;
      seen.add(e.id);
      return true;
    });
    if (fresh.length === 0) continue;
    const gi = groups.length;
    groups.push({ name: fresh[0]!.modelName, ref, entries: fresh.map((e) => targetsOf(e, gi)) });
  }

  if (groups.length === 0) {
    const list = unknown.map((n) => `"${n}"`).join(", ");
    throw new SwitchboardError(
      "not_found",
      `no usable model for ${list}: add a model_list entry with that model_name (or enable it), fix agents.defaults.model_name / fallbacks, or use a vendor/model reference such as "openai/gpt-5.4"`,
    );
  }
  return groups;
}

/** One request's view of the chain: groups, and where each group starts this time. */
export class RequestPlan {
  readonly groups: PlannedGroup[];
  private readonly starts: (number | undefined)[];
  private readonly counters: RouterCounters;

  constructor(groups: PlannedGroup[], counters: RouterCounters) {
    this.groups = groups;
    this.counters = counters;
    this.starts = groups.map(() => undefined);
  }

  /**
   * Enters a group: fixes its starting entry for this request and advances its
   * counter (once). Synchronous with a synchronous store; with a shared
   * asynchronous one, the returned promise settles when the start is fixed.
   */
  enter(gi: number): MaybePromise<void> {
    if (this.starts[gi] !== undefined) return;
    const g = this.groups[gi]!;
    return whenReady(this.counters.take(g.name), (n) => {
      this.starts[gi] ??= n % g.entries.length;
    });
  }

  /** The group's targets in this request's order (entered groups) or the order it would get. */
  ordered(gi: number): PlannedTarget[] {
    const g = this.groups[gi]!;
    const n = g.entries.length;
    const start = this.starts[gi] ?? this.counters.peek(g.name) % n;
    const out: PlannedTarget[] = [];
    for (let i = 0; i < n; i++) out.push(...g.entries[(start + i) % n]!);
    return out;
  }

  /** Every target of the chain in order. */
  all(): PlannedTarget[] {
    const out: PlannedTarget[] = [];
    for (let gi = 0; gi < this.groups.length; gi++) out.push(...this.ordered(gi));
    return out;
  }
}
