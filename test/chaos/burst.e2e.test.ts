// 1,000 people write at the same moment: every one of them is answered, and
// the daemon's memory stays bounded (turns in flight are capped by
// gateway.max_turns_in_flight; the rest wait in the store and in Telegram's
// queue, not in memory). The bound asserted is generous on purpose: it
// catches unbounded growth (each waiting turn held in memory), not noise.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDaemon, waitFor, writeConfig, type RunningDaemon } from "../e2e/daemon.ts";
import { startFakeLlm, type FakeLlm } from "../fakes/fake-llm.ts";
import { FakeTelegramApi } from "../fakes/telegram-api.ts";

/** the daemon's peak resident memory (VmHWM) must stay under this; README quotes the measured figure */
export const BURST_RSS_BOUND_MB = 400;
const PEOPLE = 1000;

let llm: FakeLlm;
let tg: FakeTelegramApi;
let home: string;
let daemon: RunningDaemon | undefined;

beforeAll(async () => {
  [llm, tg] = await Promise.all([startFakeLlm(), FakeTelegramApi.start()]);
  home = mkdtempSync(join(tmpdir(), "sb-burst-"));
});
afterAll(async () => {
  await daemon?.stop();
  await Promise.all([llm.close(), tg.close()]);
  rmSync(home, { recursive: true, force: true });
});

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

describe("a burst of 1,000 people", () => {
  it.runIf(process.platform === "linux")("answers everyone with the daemon's memory bounded", async () => {
    const turns = Number(process.env.SB_BURST_TURNS ?? 8);
    llm.setDefault((req) => ({ reply: `hi ${JSON.stringify((req.body.messages as { content: unknown }[]).at(-1)!.content).length}` }));
    writeConfig(home, {
      model_list: [{ model_name: "main", model: "openai/main-model", api_base: `${llm.url}/v1`, api_key: "sk-burst-1234567890" }],
      agents: { defaults: { model_name: "main" } },
      channels: { telegram: { enabled: true, token: tg.token, api_base: tg.url, allow_from: ["*"] } },
      gateway: { max_turns_in_flight: turns },
    });
    daemon = await startDaemon(home, { SWITCHBOARD_LOG_LEVEL: "warn" });
    await waitFor(async () => (await fetch(`${daemon!.url}/ready`)).status === 200 || undefined, "/ready", 15_000);
    const idle = peakRssMb(daemon.child.pid!);
    for (let u = 0; u < PEOPLE; u++) tg.userMessage({ chatId: 10_000 + u, fromId: 10_000 + u, text: `hello from ${u} ${"padding ".repeat(50)}` });
    await waitFor(() => new Set(tg.sent.map((m) => m.chat_id)).size >= PEOPLE || undefined, "every person answered", 170_000);
    const peak = peakRssMb(daemon.child.pid!);
    console.log(`burst: ${PEOPLE} people answered; daemon peak RSS ${idle.toFixed(0)} MB when ready, ${peak.toFixed(0)} MB after the burst (bound ${BURST_RSS_BOUND_MB} MB)`);
    expect(new Set(tg.sent.map((m) => String(m.chat_id))).size).toBe(PEOPLE);
    expect(tg.sent).toHaveLength(PEOPLE); // once each
    expect(peak).toBeLessThan(BURST_RSS_BOUND_MB);
    // each poll asked Telegram for no more than the free turn slots and one set more: the rest waited there
    const limits = tg.calls.filter((c) => c.method === "getUpdates").map((c) => Number(c.params.limit));
    expect(Math.max(...limits)).toBeLessThanOrEqual(2 * turns);
  }, 180_000);
});
