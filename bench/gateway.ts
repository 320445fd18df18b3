// The gateway daemon as a child process against the fake Telegram Bot API,
// the fake Discord gateway and an instant fake model: time to /ready, idle
// memory, overhead per message excluding the model, throughput, and memory
// after 50,000 messages. SWITCHBOARD_BENCH_MESSAGES changes the count.
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeDiscord } from "../test/fakes/discord/server.ts";
import { startFakeLlm } from "../test/fakes/fake-llm.ts";
import { FakeTelegramApi } from "../test/fakes/telegram-api.ts";
import { startDaemon, waitFor, writeConfig } from "../test/e2e/daemon.ts";
import { report } from "./stats.ts";

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

export async function run(): Promise<void> {
  const total = Number(process.env.SWITCHBOARD_BENCH_MESSAGES ?? 50_000);
  const home = mkdtempSync(join(tmpdir(), "sb-bench-gw-"));
  const llm = await startFakeLlm();
  const tg = await FakeTelegramApi.start();
  const dc = await FakeDiscord.start();
  llm.setDefault({ reply: "ok" });
  writeConfig(home, {
    model_list: [{ model_name: "m", model: "openai/m", api_base: `${llm.url}/v1` }],
    agents: { defaults: { model_name: "m" } },
    channels: {
      telegram: { enabled: true, token: tg.token, api_base: tg.url, allow_from: ["*"] },
      discord: { enabled: true, token: dc.token, api_base: dc.apiBase, allow_from: ["*"] },
    },
  });
  const t0 = performance.now();
  // SWITCHBOARD_BENCH_NODE_OPTIONS reaches the daemon only (e.g. --max-old-space-size=96 to tell heap from native growth)
  const nodeOptions = process.env.SWITCHBOARD_BENCH_NODE_OPTIONS;
  const daemon = await startDaemon(home, { SWITCHBOARD_LOG_LEVEL: "warn", ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) });
  await waitFor(async () => (await fetch(`${daemon.url}/ready`)).status === 200 || undefined, "/ready", 30_000);
  console.log(`process start to /ready (Telegram + Discord): ${(performance.now() - t0).toFixed(0)} ms`);
  const pid = daemon.child.pid!;
  await new Promise((r) => setTimeout(r, 1000));
  console.log(`idle RSS: ${rssMb(pid).toFixed(1)} MB`);

  try {
    // one message at a time: end-to-end latency minus the model call (instant, on loopback)
    const lat: number[] = [];
    for (let i = 0; i < 300; i++) {
      const before = tg.sent.length;
      const t = performance.now();
      tg.userMessage({ chatId: 500, fromId: 500, text: `ping ${i}` });
      await tg.waitForSent(before + 1, 10_000); // event-driven, no polling delay in the figure
      lat.push(performance.now() - t);
    }
    report("gateway overhead per message (model instant)", lat.slice(50));

    // throughput: many people at once, one message each
    const rssBefore = rssMb(pid);
    const start = tg.sent.length;
    const t = performance.now();
    for (let i = 0; i < total; i++) {
      tg.userMessage({ chatId: 100_000 + i, fromId: 100_000 + i, text: `hello ${i}` });
      if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
    }
    await tg.waitForSent(start + total, 30 * 60_000);
    const secs = (performance.now() - t) / 1000;
    console.log(`throughput: ${total} messages in ${secs.toFixed(1)} s = ${(total / secs).toFixed(0)} messages/s`);
    console.log(`RSS before ${rssBefore.toFixed(1)} MB, after ${total} messages ${rssMb(pid).toFixed(1)} MB`);
  } finally {
    await daemon.stop();
    await Promise.all([llm.close(), tg.close(), dc.close()]);
    rmSync(home, { recursive: true, force: true });
  }
}
