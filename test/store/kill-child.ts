// Runs a script in a child Node (this one) and kills it with SIGKILL once a
// line it printed says so: the crash tests' "kill -9 at this moment".
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { expect } from "vitest";

/** the child's stdout lines up to the kill; rejects when it exits by itself first */
export async function runAndKill(script: string, killWhen: (line: string, lines: string[]) => boolean): Promise<string[]> {
  const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const lines: string[] = [];
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.on("line", (line) => {
      lines.push(line);
      if (killWhen(line, lines)) {
        child.kill("SIGKILL");
        rl.close();
        resolve();
      }
    });
    child.once("exit", () => reject(new Error(`the child exited before it was killed: ${stderr}`)));
  });
  expect(await exited).toBe("SIGKILL");
  return lines;
}
