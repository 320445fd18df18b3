// What the exec tool refuses before anything runs: commands outside the
// allow-list (when one is set) and commands matching a deny pattern. With an
// allow-list, command substitution and process substitution are refused
// outright, since they would run programs the list never sees. This is a
// guard rail on top of the sandbox, not the security boundary itself.
import { basename } from "node:path";
import type { ExecConfig } from "./schema.ts";

/** Why the command is refused, or undefined when it may run. */
export function refusal(command: string, cfg: Pick<ExecConfig, "allow_commands" | "custom_deny_patterns">): string | undefined {
  for (const p of cfg.custom_deny_patterns ?? []) {
    if (new RegExp(p, "i").test(command)) return `the command matches the deny pattern /${p}/ (tools.exec.custom_deny_patterns)`;
  }
  const allow = cfg.allow_commands;
  if (!allow) return undefined;
  if (/`|\$\(|<\(|>\(/.test(command)) return "command or process substitution is not allowed while tools.exec.allow_commands is set";
  for (const segment of command.split(/\|\|?|&&|;|&|\n/)) {
    const words = segment.trim().split(/\s+/).filter(Boolean);
    while (words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]!)) words.shift();
    const program = words[0]?.replace(/^[({]+/, "");
    if (!program) continue;
    if (!allow.includes(basename(program))) return `"${basename(program)}" is not in tools.exec.allow_commands (${allow.join(", ")})`;
  }
  return undefined;
}

/** A command as it may appear in a log line: values of secret-looking settings and tokens blanked. */
export function redactCommand(command: string): string {
  return command
    .replace(/((?:password|passwd|token|secret|api[_-]?key|authorization)\w*\s*[=:]\s*)("[^"]*"|'[^']*'|\S+)/gi, "$1[redacted]")
    .replace(/(bearer\s+)\S+/gi, "$1[redacted]")
    .replace(/\b(sk|pk|ghp|gho|xox[abp])[-_][A-Za-z0-9_-]{8,}/g, "[redacted]")
    .replace(/\/\/[^/@\s:]+:[^/@\s]+@/g, "//[redacted]@")
    .slice(0, 500);
}
