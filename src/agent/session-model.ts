// A session's own model, chosen in the chat with /model. Kept in the store's
// key/value table under session_model:<sessionKey> (no schema change), so the
// choice survives restarts. A stored name the config no longer has is
// ignored: the session falls back to the configured model instead of failing.
import type { AsyncKvStore } from "../store/backend.ts";

export interface SessionModels {
  /** model names a session may switch to, in config order */
  names(): string[];
  /** the session's chosen model while the config still has it */
  get(sessionKey: string): Promise<string | undefined>;
  /** what was stored, even when the config dropped it (for /status) */
  stored(sessionKey: string): Promise<string | undefined>;
  /** undefined goes back to the configured model */
  set(sessionKey: string, name: string | undefined): Promise<void>;
}

export const SESSION_MODEL_PREFIX = "session_model:";

/** sessions whose choice is kept in memory at most (the oldest read is forgotten first) */
const CACHE_LIMIT = 10_000;

export interface SessionModelsOptions {
  now?: () => number;
  /**
   * keep each session's choice in memory once read or written (written
   * through to kv): right only while this process is the one that changes
   * it, so off for a store other gateways share (PostgreSQL)
   */
  cache?: boolean;
}

interface Cache {
  /** null: read, and nothing is stored */
  names: Map<string, string | null>;
  /** bumped by every set: a read that a set overtook does not fill the cache */
  writes: number;
  /** every stored choice is in `names`: a session not there has none, and needs no read */
  complete: boolean;
  /** the one load of every stored choice (started by the first look) */
  loading?: Promise<void>;
}

/** one cache per store, shared by the runtimes a reload builds on it (an old one may still be finishing a /model) */
const caches = new WeakMap<object, Cache>();

function cacheOf(kv: object): Cache {
  let c = caches.get(kv);
  if (!c) {
    c = { names: new Map(), writes: 0, complete: false };
    caches.set(kv, c);
  }
  return c;
}

/**
 * Reads every stored choice at once (they are few: only chats that used
 * /model have one), so a chat seen for the first time needs no read. Left
 * incomplete (per-chat reads, as before) when there are more than the cache
 * holds, when the store cannot list keys, when a /model write overtook the
 * load, or when the load failed.
 */
function loadAll(kv: AsyncKvStore, c: Cache): Promise<void> {
  c.loading ??= (async () => {
    if (!kv.entries) return;
    const before = c.writes;
    try {
      const all = await kv.entries<unknown>(SESSION_MODEL_PREFIX, CACHE_LIMIT + 1);
      if (all.length > CACHE_LIMIT || c.writes !== before) return;
      for (const [key, v] of all) {
        const sessionKey = key.slice(SESSION_MODEL_PREFIX.length);
        if (!c.names.has(sessionKey)) c.names.set(sessionKey, typeof v === "string" && v ? v : null);
      }
      c.complete = c.names.size <= CACHE_LIMIT;
    } catch {
      // per-chat reads then: each says what is wrong with the store if it still is
    }
  })();
  return c.loading;
}

export function kvSessionModels(kv: AsyncKvStore, names: () => string[], opts: SessionModelsOptions = {}): SessionModels {
  const now = opts.now ?? Date.now;
  const key = (sessionKey: string) => `${SESSION_MODEL_PREFIX}${sessionKey}`;
  const shared = opts.cache ? cacheOf(kv) : undefined;
  const cache = shared?.names;
  const remember = (sessionKey: string, name: string | undefined) => {
    if (!cache) return;
    cache.delete(sessionKey);
    cache.set(sessionKey, name ?? null);
    if (cache.size > CACHE_LIMIT) {
      cache.delete(cache.keys().next().value!);
      shared!.complete = false; // what was forgotten may have had a choice
    }
  };
  const stored = async (sessionKey: string) => {
    if (shared && !shared.complete) await loadAll(kv, shared);
    const hit = cache?.get(sessionKey);
    if (hit !== undefined) return hit ?? undefined;
    if (shared?.complete) return undefined;
    const before = shared?.writes;
    const v = await kv.get<unknown>(key(sessionKey));
    const name = typeof v === "string" && v ? v : undefined;
    if (shared?.writes === before) remember(sessionKey, name);
    return name;
  };
  return {
    names,
    stored,
    get: async (sessionKey) => {
      const name = await stored(sessionKey);
      return name !== undefined && names().includes(name) ? name : undefined;
    },
    set: async (sessionKey, name) => {
      if (shared) shared.writes++;
      // a failed write must not leave the memory ahead of the store; a complete cache keeps the old
      // choice meanwhile (the store holds it until the write lands) and stops being complete if it fails
      if (!shared?.complete) cache?.delete(sessionKey);
      try {
        if (name === undefined) await kv.delete(key(sessionKey));
        else await kv.set(key(sessionKey), name, now());
      } catch (err) {
        if (shared) {
          shared.complete = false;
          cache!.delete(sessionKey);
        }
        throw err;
      }
      remember(sessionKey, name);
    },
  };
}

/**
 * The names /model offers: every enabled model_name group in config order,
 * without groups configured only for voice or image generation (unless the
 * agent also uses them).
 */
export function chatModelNames(
  entries: readonly { modelName: string; enabled: boolean }[],
  opts: { agentModels: readonly string[]; otherUses: readonly (string | undefined)[] },
): string[] {
  const other = new Set(opts.otherUses.filter((n): n is string => Boolean(n)));
  const out: string[] = [];
  for (const e of entries) {
    if (!e.enabled || out.includes(e.modelName)) continue;
    if (other.has(e.modelName) && !opts.agentModels.includes(e.modelName)) continue;
    out.push(e.modelName);
  }
  return out;
}
