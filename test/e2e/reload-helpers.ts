// Shared by the reload end-to-end tests: saving the config the ways editors
// and tools do, and waiting for the daemon's reload log lines.
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitFor, type RunningDaemon } from "./daemon.ts";

/** what editors, `sed -i` and `switchboard config set` do: write a new file, rename it over the old one */
export function renameSave(home: string, cfg: unknown): void {
  const tmp = join(home, `.config.json.${process.hrtime.bigint()}`);
  writeFileSync(tmp, JSON.stringify(cfg, null, 2));
  renameSync(tmp, join(home, "config.json"));
}

/** the daemon's JSON log lines, parsed (other lines left out) */
export function messages(d: RunningDaemon): { msg?: string; [k: string]: unknown }[] {
  return d.log.flatMap((l) => {
    try {
      return [JSON.parse(l) as { msg?: string }];
    } catch {
      return [];
    }
  });
}

export function logged(d: RunningDaemon, msg: string): number {
  return messages(d).filter((m) => m.msg === msg).length;
}

export const APPLIED = "config reloaded";
export const REFUSED = "config reload refused; the running configuration keeps serving";

/** runs `change` and waits for the next reload log line of that kind */
export async function afterReload(d: RunningDaemon, kind: typeof APPLIED | typeof REFUSED, change: () => void): Promise<void> {
  const before = logged(d, kind);
  change();
  await waitFor(() => logged(d, kind) > before || undefined, `"${kind}" in the log`, 15_000);
}

export async function statusOf(d: RunningDaemon, token?: string): Promise<{ lastReload: { result: string; reason?: string; changed: string[]; restartRequired: string[] } | null; channels: { id: string; state: string }[] }> {
  const res = await fetch(`${d.url}/status`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (res.status !== 200) throw new Error(`/status answered ${res.status}`);
  return (await res.json()) as never;
}

export function restartedChannels(d: RunningDaemon): string[] {
  return messages(d).filter((m) => m.msg === "channel restarted with its new config").map((m) => String(m.channel));
}
