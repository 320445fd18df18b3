// <home>/state/gateway.json: where the running gateway listens, for the CLI
// (`status`, `doctor`, `reload`; see src/cli/running.ts, which reads it) and
// scripts. Holds no secrets: pid, URL, start time.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { runFilePath, type RunFile } from "../cli/running.ts";

export { runFilePath };

export function writeRunFile(home: string, run: RunFile): void {
  const file = runFilePath(home);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(run), { mode: 0o600 });
}

export function removeRunFile(home: string): void {
  rmSync(runFilePath(home), { force: true });
}
