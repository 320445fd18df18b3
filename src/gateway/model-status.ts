// Model entries as `status` shows them: endpoint, masked key, cooldown and
// last error. Used by GET /status and by `switchboard status`.
import { maskSecret, redact, redactUrl } from "../core/redact.ts";
import { targetKey, type RouterSnapshot } from "../providers/router/index.ts";
import type { ModelDirectory } from "../providers/types.ts";

export interface ModelStatus {
  entryId: string;
  modelName: string;
  model: string;
  endpoint: string;
  protocol: string;
  keyIndex: number;
  key: string;
  enabled: boolean;
  cooling: boolean;
  cooldownUntil: string | null;
  errorCount: number;
  lastError: { reason: string; status?: number; message: string; at: string } | null;
  lastSuccessAt: string | null;
}

export function describeModels(directory: ModelDirectory, snap: RouterSnapshot | undefined): ModelStatus[] {
  const byKey = new Map((snap?.targets ?? []).map((t) => [t.key, t]));
  const now = snap?.at ?? Date.now();
  const out: ModelStatus[] = [];
  for (const e of directory.all()) {
    const keys = e.apiKeys.length ? e.apiKeys : [undefined];
    keys.forEach((k, keyIndex) => {
      const h = byKey.get(targetKey(e, k));
      out.push({
        entryId: e.id,
        modelName: e.modelName,
        model: e.model,
        endpoint: e.apiBase ? redactUrl(e.apiBase) : "(no api_base)",
        protocol: e.protocol,
        keyIndex,
        key: k ? maskSecret(k) : "(none)",
        enabled: e.enabled,
        cooling: (h?.cooldownUntil ?? 0) > now,
        cooldownUntil: h?.cooldownUntil && h.cooldownUntil > now ? new Date(h.cooldownUntil).toISOString() : null,
        errorCount: h?.errorCount ?? 0,
        lastError: h?.lastError ? { reason: h.lastError.reason, message: redact(h.lastError.message, e.apiKeys), at: new Date(h.lastError.at).toISOString(), ...(h.lastError.status ? { status: h.lastError.status } : {}) } : null,
        lastSuccessAt: h?.lastSuccessAt ? new Date(h.lastSuccessAt).toISOString() : null,
      });
    });
  }
  return out;
}
