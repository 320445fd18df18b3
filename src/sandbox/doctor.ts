// What `switchboard doctor` says about exec and the file tools: a warning
// when exec runs unsandboxed by choice, a failure when exec is on but
// bubblewrap cannot build a sandbox (every call would be refused).
import type { SwitchboardConfig } from "../config/schema.ts";
import { sandboxUnavailable } from "./bwrap.ts";

export interface SandboxCheck {
  /** stable id, as doctor's --json prints it */
  id: string;
  level: "ok" | "warn" | "fail";
  what: string;
  fix?: string;
}

export async function sandboxChecks(config: Pick<SwitchboardConfig, "tools">): Promise<SandboxCheck[]> {
  const exec = config.tools.exec;
  const checks: SandboxCheck[] = [];
  if (exec.enabled && exec.sandbox === "none") {
    checks.push({
      id: "exec",
      level: "warn",
      what: 'tools.exec runs commands WITHOUT a sandbox (sandbox: "none"): the model can read and change anything this user can',
      fix: 'install bubblewrap (apt install bubblewrap) and remove tools.exec.sandbox, or turn exec off',
    });
  } else if (exec.enabled) {
    const why = await sandboxUnavailable().catch((err: Error) => err.message);
    checks.push(why ? { id: "exec", level: "fail", what: "tools.exec is on but cannot sandbox commands; every call will be refused", fix: why } : { id: "exec", level: "ok", what: `tools.exec sandboxed by bubblewrap${exec.allow_network ? " (network allowed)" : " (no network)"}` });
  }
  if (config.tools.files.enabled) checks.push({ id: "files", level: "ok", what: "file tools on, confined to the workspace" });
  return checks;
}
