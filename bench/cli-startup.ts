// Cold start of the `switchboard` command: `version`, and a one-shot
// `agent -m` against a local fake model.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeLlm } from "../test/fakes/fake-llm.ts";
import { report } from "./stats.ts";

const BIN = join(import.meta.dirname, "../bin/switchboard.js");

function time(args: string[], env: NodeJS.ProcessEnv, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`switchboard ${args.join(" ")} failed: ${r.stderr}`);
    out.push(performance.now() - t);
  }
  return out;
}

export async function run(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), "sb-bench-cli-"));
  const llm = await startFakeLlm();
  try {
    writeFileSync(join(home, "config.json"), JSON.stringify({ model_list: [{ model_name: "m", model: "openai/m", api_base: `${llm.url}/v1` }], agents: { defaults: { model_name: "m" } } }));
    const env = { SWITCHBOARD_HOME: home, SWITCHBOARD_LOG_LEVEL: "error" };
    report("cold start: switchboard version", time(["version"], env, 15));
    // the fake runs in this process, so spawnSync would block it: measure async
    const samples: number[] = [];
    const { spawn } = await import("node:child_process");
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      await new Promise<void>((resolve, reject) => {
        const c = spawn(process.execPath, [BIN, "agent", "-m", "hi"], { env: { ...process.env, ...env }, stdio: "ignore" });
        c.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`agent exited ${code}`))));
      });
      samples.push(performance.now() - t);
    }
    report("cold start: switchboard agent -m (fake model)", samples);
  } finally {
    await llm.close();
    rmSync(home, { recursive: true, force: true });
  }
}
