// <home>/state/gateway.json: where the running gateway listens, for the CLI
// (`switchboard reload`) and scripts. Holds no secrets: pid, URL, start time.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";

const RunFileSchema = z.object({ pid: z.number().int().positive(), url: z.string().min(1), startedAt: z.string().optional() });
export type RunFile = z.infer<typeof RunFileSchema>;

export function runFilePath(home: string): string {
  return join(home, "state", "gateway.json");
}

export function writeRunFile(home: string, run: RunFile): void {
  const file = runFilePath(home);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(run), { mode: 0o600 });
}

export function removeRunFile(home: string): void {
  rmSync(runFilePath(home), { force: true });
}

/** The run file of a gateway that started; undefined when there is none or it is not one. */
export function readRunFile(home: string): RunFile | undefined {
  try {
    const parsed = RunFileSchema.safeParse(JSON.parse(readFileSync(runFilePath(home), "utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
