// The gateway process gives memory back once it is ready and quiet, and again
// after a burst has passed, but not over and over while it sits idle.
import { describe, expect, it } from "vitest";
import { startDaemon, waitFor, writeConfig, type RunningDaemon } from "./daemon.ts";
import { llm, run, tg, useFakes } from "./fakes-fixture.ts";

useFakes({ homePrefix: "sb-e2e-settle-" });

const settled = (d: RunningDaemon) =>
  d.log.flatMap((l) => {
    try {
      const j = JSON.parse(l) as { msg?: string; rssMb?: number; afterMb?: number };
      return j.msg === "memory given back after a quiet spell" ? [j] : [];
    } catch {
      return [];
    }
  });

describe("memory given back when quiet", () => {
  it("collects once after the start, then stays quiet while idle", async () => {
    writeConfig(run.home, {
      model_list: [{ model_name: "m", model: "openai/m", api_base: `${llm.url}/v1` }],
      agents: { defaults: { model_name: "m" } },
      channels: { telegram: { enabled: true, token: tg.token, api_base: tg.url, allow_from: ["*"] } },
    });
    const d = (run.daemon = await startDaemon(run.home, { SWITCHBOARD_LOG_LEVEL: "debug" }));
    await waitFor(async () => (await fetch(`${d.url}/ready`)).status === 200 || undefined, "/ready", 15_000);
    const first = await waitFor(() => settled(d)[0], "the first collection after ready", 20_000);
    expect(first.afterMb).toBeGreaterThan(0);
    // idle for longer than a quiet spell: nothing grew, so nothing is collected again
    await new Promise((r) => setTimeout(r, 5000));
    expect(settled(d)).toHaveLength(1);
    // the gateway still answers after it
    tg.userMessage({ chatId: 42, fromId: 42, text: "still there?" });
    await waitFor(() => tg.sent.find((m) => String(m.chat_id) === "42"), "a reply");
  }, 45_000);
});
