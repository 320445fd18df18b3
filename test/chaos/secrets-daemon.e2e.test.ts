// The secrets sweep of the running gateway (test/providers/secrets-sweep.test.ts
// sweeps the one-shot CLI): after real traffic through the daemon — a person
// on Telegram, a provider that echoes every request header back in its error,
// through an authenticating proxy, a fallback that answers, a Telegram send
// that fails once — none of the config's secrets appear in the daemon's log
// (debug level), its HTTP endpoints (/status, /ready, /metrics, /v1/models),
// `switchboard status` against it, or any file under SWITCHBOARD_HOME other
// than the config itself (database, WAL, state files).
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/run-cli.ts";
import { startDaemon, waitFor, writeConfig, type RunningDaemon } from "../e2e/daemon.ts";
import { startFakeLlm, type FakeLlm } from "../fakes/fake-llm.ts";
import { startFakeProxy, type FakeProxy } from "../fakes/fake-proxy.ts";
import { FakeTelegramApi } from "../fakes/telegram-api.ts";
import { echoHeadersInErrors, leakyModels } from "../providers/sweep-helpers.ts";

const SECRETS = {
  key: "sk-daemon-sweep-key-1234567890",
  backupKey: "sk-ant-daemon-sweep-backup-0987",
  header: "hdr-daemon-secret-value-737373",
  proxyPass: "proxypassdaemon778",
  telegram: "987654:daemon-sweep-token_zyx",
  gatewayToken: "gw-bearer-daemon-sweep-55aa",
};

let llm: FakeLlm;
let proxy: FakeProxy;
let tg: FakeTelegramApi;
let home: string;
let daemon: RunningDaemon | undefined;

beforeAll(async () => {
  [llm, proxy, tg] = await Promise.all([startFakeLlm(), startFakeProxy(), FakeTelegramApi.start({ bots: [{ token: SECRETS.telegram }] })]);
  home = mkdtempSync(join(tmpdir(), "sb-sweep-daemon-"));
});
afterAll(async () => {
  await daemon?.stop();
  await Promise.all([llm.close(), proxy.close(), tg.close()]);
  rmSync(home, { recursive: true, force: true });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe("secrets sweep of the running gateway", () => {
  it("finds none of the config's secrets in its log, endpoints, status or state files", async () => {
    writeConfig(home, {
      model_list: leakyModels(llm, proxy, SECRETS),
      agents: { defaults: { model_name: "main", fallbacks: ["backup"] } },
      channels: { telegram: { enabled: true, token: SECRETS.telegram, api_base: tg.url, allow_from: ["4242"] } },
      gateway: { token: SECRETS.gatewayToken },
    });
    // the primary fails with an error that echoes every header it received (keys included)
    echoHeadersInErrors(llm);
    daemon = await startDaemon(home, { SWITCHBOARD_LOG_LEVEL: "debug" });
    await waitFor(async () => (await fetch(`${daemon!.url}/ready`)).status === 200 || undefined, "/ready", 20_000);
    tg.failNext("sendMessage", { error_code: 502, description: "Bad Gateway" });
    tg.userMessage({ chatId: 4242, fromId: 4242, text: "hello" });
    await waitFor(() => tg.sent.some((m) => m.text === "fine") || undefined, "the answer from the fallback", 20_000);
    // the traffic really carried the secrets: through the proxy, with the header
    expect(proxy.auths.length).toBeGreaterThan(0);
    expect(llm.requests.some((r) => r.headers["x-tenant-secret"] === SECRETS.header)).toBe(true);

    const auth = { authorization: `Bearer ${SECRETS.gatewayToken}` };
    const get = async (path: string) => `${path}: ${await (await fetch(`${daemon!.url}${path}`, { headers: auth })).text()}`;
    const env = { SWITCHBOARD_HOME: home, HOME: home };
    const outputs: [string, string][] = [
      ["GET /status", await get("/status")],
      ["GET /ready", await get("/ready")],
      ["GET /metrics", await get("/metrics")],
      ["GET /v1/models", await get("/v1/models")],
      ["switchboard status", (await runCli(["status"], env)).stdout],
      ["switchboard status --json", (await runCli(["status", "--json"], env)).stdout],
    ];
    expect(outputs[0]![1]).toMatch(/telegram/);
    const log = daemon.log;
    await daemon.stop();
    daemon = undefined;
    outputs.push(["daemon log", log.join("\n")]);
    // the provider's error (which carried the key and the header) did reach the log, redacted
    expect(log.join("\n")).toContain("upstream broke");
    for (const file of filesUnder(home)) {
      if (relative(home, file) === "config.json") continue;
      outputs.push([relative(home, file), readFileSync(file, "latin1")]);
    }
    expect(outputs.some(([where]) => where === "switchboard.db")).toBe(true);
    for (const [where, text] of outputs) {
      for (const [name, secret] of Object.entries(SECRETS)) {
        expect(text.includes(secret), `${name} leaked into ${where}`).toBe(false);
      }
    }
  }, 90_000);
});
