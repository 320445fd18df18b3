// exec: a shell command in the workspace, inside the bubblewrap sandbox
// (see src/sandbox/bwrap.ts). Off unless tools.exec.enabled. Without a
// working sandbox it refuses and says why, unless the owner chose
// sandbox "none". Every call is logged (command redacted, exit, duration).
import { realpathSync } from "node:fs";
import { z } from "zod";
import { runCommand, sandboxUnavailable } from "../sandbox/bwrap.ts";
import { redactCommand, refusal } from "../sandbox/policy.ts";
import type { ExecConfig } from "../sandbox/schema.ts";
import { ToolError, type Tool } from "./types.ts";

const schema = z.object({
  command: z.string().min(1).max(8_000).describe("shell command, run with sh -c in the workspace"),
  timeout_seconds: z.number().positive().optional().describe("default and maximum: the configured limit"),
});

export interface ExecToolDeps {
  workspaceDir: string;
  /** test hook */
  bwrapPath?: string;
}

export function createExecTool(cfg: ExecConfig, deps: ExecToolDeps): Tool<typeof schema> {
  const limitMs = cfg.timeout_seconds * 1000;
  return {
    name: "exec",
    description: `Run a shell command in the workspace (sandboxed${cfg.allow_network ? "" : ", no network"})`,
    schema,
    // the command's own limit kills it first; this only catches a stuck sandbox
    timeoutMs: limitMs + 5_000,
    async run(args, ctx) {
      const log = { tool: "exec", command: redactCommand(args.command), session: ctx.origin.sessionKey };
      const refused = refusal(args.command, cfg);
      if (refused) {
        ctx.logger.warn({ ...log, refused }, "exec refused");
        throw new ToolError(`refused: ${refused}`);
      }
      const workspaceDir = realpathSync(deps.workspaceDir);
      if (cfg.sandbox === "bwrap") {
        const why = await sandboxUnavailable(deps.bwrapPath);
        if (why) {
          ctx.logger.warn({ ...log, refused: why }, "exec refused: no sandbox");
          throw new ToolError(`exec is unavailable: ${why}`);
        }
      }
      const timeoutMs = Math.min(limitMs, (args.timeout_seconds ?? cfg.timeout_seconds) * 1000);
      const started = performance.now();
      const r = await runCommand({
        command: args.command,
        workspaceDir,
        sandbox: cfg.sandbox,
        allowNetwork: cfg.allow_network,
        timeoutMs,
        maxOutputChars: cfg.max_output_chars,
        signal: ctx.signal,
        ...(deps.bwrapPath ? { bwrapPath: deps.bwrapPath } : {}),
      });
      const ms = Math.round(performance.now() - started);
      ctx.logger.info({ ...log, sandbox: cfg.sandbox, exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, ms, outputChars: r.output.length + r.dropped }, "exec ran");
      const notes: string[] = [];
      if (r.timedOut) notes.push(`[stopped after ${Math.round(timeoutMs / 1000)} s, the time limit]`);
      if (r.dropped) notes.push(`[${r.dropped} more characters of output were dropped]`);
      notes.push(r.exitCode !== null ? `[exit code ${r.exitCode}]` : `[killed by ${r.signal ?? "a signal"}]`);
      return `${r.output}${r.output && !r.output.endsWith("\n") ? "\n" : ""}${notes.join("\n")}`;
    },
  };
}
