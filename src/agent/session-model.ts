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

export function kvSessionModels(kv: AsyncKvStore, names: () => string[], now: () => number = Date.now): SessionModels {
  const key = (sessionKey: string) => `${SESSION_MODEL_PREFIX}${sessionKey}`;
  const stored = async (sessionKey: string) => {
    const v = await kv.get<unknown>(key(sessionKey));
    return typeof v === "string" && v ? v : undefined;
  };
  return {
    names,
    stored,
    get: async (sessionKey) => {
      const name = await stored(sessionKey);
      return name !== undefined && names().includes(name) ? name : undefined;
    },
    set: async (sessionKey, name) => {
      if (name === undefined) await kv.delete(key(sessionKey));
      else await kv.set(key(sessionKey), name, now());
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
