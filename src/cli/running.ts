// Talking to the gateway that runs on this machine: the daemon writes
// <state>/state/gateway.json (pid, url) when it starts and removes it when it
// stops; `status`, `doctor`, `logs` and the container health check read it
// and ask the daemon over HTTP (with gateway.token when one is set).
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface RunFile {
  pid: number;
  url: string;
  startedAt?: string;
}

export function runFilePath(home: string): string {
  return join(home, "state", "gateway.json");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just someone else's (e.g. the service account's)
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The running gateway, or undefined (no run file, or its process is gone). */
export function findGateway(home: string): RunFile | undefined {
  let run: RunFile;
  try {
    run = JSON.parse(readFileSync(runFilePath(home), "utf8")) as RunFile;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(run.pid) || typeof run.url !== "string" || !alive(run.pid)) return undefined;
  return run;
}

/** A listen address the gateway printed ("http://0.0.0.0:18790") as one to connect to. */
export function connectUrl(url: string): string {
  return url.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:");
}

export type GatewayAnswer = { ok: true; status: number; body: unknown } | { ok: false; error: string };

/** GET <gateway><path> as JSON, bounded by `timeoutMs`. */
export async function askGateway(run: RunFile, path: string, token: string | undefined, timeoutMs = 5000): Promise<GatewayAnswer> {
  try {
    const res = await fetch(`${connectUrl(run.url)}${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    if (res.status === 401) return { ok: false, error: `the gateway at ${run.url} refused the token (set gateway.token or SWITCHBOARD_GATEWAY_TOKEN to the one it runs with)` };
    return { ok: true, status: res.status, body };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { ok: false, error: `the gateway (pid ${run.pid}) does not answer at ${run.url}: ${cause ?? (err as Error).message}` };
  }
}
