// `switchboard status` asks the running gateway: each channel's state, since,
// last inbound, last error and restarts; `--ready` is the health check.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startDaemon, waitFor, writeConfig, type RunningDaemon } from "../e2e/daemon.ts";
import { startFakeLlm, type FakeLlm } from "../fakes/fake-llm.ts";
import { FakeTelegramApi } from "../fakes/telegram-api.ts";
import { runCli } from "./run-cli.ts";

let llm: FakeLlm;
let tg: FakeTelegramApi;
let home: string;
let daemon: RunningDaemon | undefined;
const TOKEN = "gw-token-for-status-tests";

beforeAll(async () => {
  llm = await startFakeLlm();
  tg = await FakeTelegramApi.start();
});
afterAll(async () => Promise.all([llm.close(), tg.close()]));
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "sb-status-"));
});
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  rmSync(home, { recursive: true, force: true });
});

function config(channels: Record<string, unknown>) {
  return {
    model_list: [{ model_name: "main", model: "openai/main-model", api_base: `${llm.url}/v1`, api_key: "sk-main-1234567890" }],
    agents: { defaults: { model_name: "main" } },
    gateway: { token: TOKEN },
    channels,
  };
}

const telegram = () => ({ enabled: true, token: tg.token, api_base: tg.url, allow_from: ["1001"] });
// nothing listens on port 9: Discord can never come online
const brokenDiscord = { enabled: true, token: "discord-token-xyz", api_base: "http://127.0.0.1:9/api", allow_from: ["1"] };

describe("switchboard status with a running gateway", () => {
  it("lists every channel with its state, last inbound, last error and restarts", async () => {
    writeConfig(home, config({ telegram: telegram(), discord: brokenDiscord }));
    daemon = await startDaemon(home);
    const env = { SWITCHBOARD_HOME: home, HOME: home };
    await waitFor(async () => {
      const s = (await (await fetch(`${daemon!.url}/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { channels: { id: string; state: string; lastError?: string }[] };
      return s.channels.find((c) => c.id === "telegram")?.state === "online" && s.channels.find((c) => c.id === "discord")?.lastError ? true : undefined;
    }, "telegram online and a discord error", 15_000);
    tg.userMessage({ chatId: 1001, fromId: 1001, text: "hi" });
    await waitFor(() => tg.sent.length > 0 || undefined, "a reply");

    const json = await runCli(["status", "--json"], env);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { gateway: { running: boolean; ready: boolean; url: string }; channels: { id: string; state: string; since: number; lastInboundAt?: number; lastError?: string; restarts: number }[] };
    expect(report.gateway).toMatchObject({ running: true, ready: false, url: daemon.url });
    const tgc = report.channels.find((c) => c.id === "telegram")!;
    expect(tgc.state).toBe("online");
    expect(tgc.lastInboundAt).toBeGreaterThan(0);
    const dc = report.channels.find((c) => c.id === "discord")!;
    expect(dc.state).not.toBe("online");
    expect(dc.lastError).toBeTruthy();
    expect(json.stdout).not.toContain(TOKEN);
    expect(json.stdout).not.toContain("sk-main-1234567890");

    const text = await runCli(["status"], env);
    expect(text.stdout).toMatch(/gateway: running at http:\/\/127\.0\.0\.1:\d+ \(pid \d+.*NOT READY/);
    expect(text.stdout).toMatch(/channel telegram\s+online since \d+ s ago/);
    expect(text.stdout).toMatch(/last inbound \d+ s ago, restarts 0/);
    expect(text.stdout).toMatch(/channel discord\s+(connecting|reconnecting)/);
    expect(text.stdout).toMatch(/last error: /);

    const notReady = await runCli(["status", "--ready"], env);
    expect(notReady.code).toBe(1);
    expect(notReady.stderr).toMatch(/^not ready: discord (connecting|reconnecting)/);
  });

  it("--ready exits 0 once every channel is online", async () => {
    writeConfig(home, config({ telegram: telegram() }));
    daemon = await startDaemon(home);
    const env = { SWITCHBOARD_HOME: home, HOME: home };
    const r = await waitFor(async () => {
      const run = await runCli(["status", "--ready"], env);
      return run.code === 0 ? run : undefined;
    }, "ready", 15_000);
    expect(r.stdout).toBe(`ready: ${daemon.url}\n`);
  });

  it("says the gateway is not running, and lists the configured channels as such", async () => {
    writeConfig(home, config({ telegram: telegram() }));
    const r = await runCli(["status", "--json"], { SWITCHBOARD_HOME: home, HOME: home });
    const report = JSON.parse(r.stdout) as { gateway: { running: boolean }; channels: { id: string; state: string }[] };
    expect(report.gateway.running).toBe(false);
    expect(report.channels).toEqual([{ id: "telegram", state: "not running" }]);
    const ready = await runCli(["status", "--ready"], { SWITCHBOARD_HOME: home, HOME: home });
    expect(ready.code).toBe(1);
    expect(ready.stderr).toContain("the gateway is not running");
  });
});
