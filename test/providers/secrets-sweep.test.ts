// After real traffic — a provider that echoes every request header back in its
// error, through an authenticating proxy, with a fallback that answers — none
// of the config's secrets appear in the logs, `status` (text and JSON),
// `config get`, `doctor`, or the router's state files.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/run-cli.ts";
import { startFakeLlm, type FakeLlm } from "../fakes/fake-llm.ts";
import { startFakeProxy, type FakeProxy } from "../fakes/fake-proxy.ts";
import { echoHeadersInErrors, leakyModels } from "./sweep-helpers.ts";

const SECRETS = {
  key: "sk-sweep-main-key-1234567890",
  backupKey: "sk-ant-sweep-backup-0987654321",
  header: "hdr-secret-value-424242",
  proxyPass: "proxypass777xyz",
  basePass: "basepass123xyz",
  queryKey: "querykey98765xyz",
  telegram: "123456789:tg-secret-token-abcdef",
  envValue: "envsecret-5555555",
};

let llm: FakeLlm;
let proxy: FakeProxy;
let home: string;
beforeAll(async () => {
  llm = await startFakeLlm();
  proxy = await startFakeProxy();
  home = mkdtempSync(join(tmpdir(), "sb-sweep-"));
});
afterAll(async () => {
  await llm.close();
  await proxy.close();
});

describe("secrets sweep", () => {
  it("finds none of the config's secrets anywhere a person or a file can see", async () => {
    const port = new URL(llm.url).port;
    writeFileSync(
      join(home, "config.json"),
      JSON.stringify({
        env: { SWEEP_EXTRA_API_KEY: SECRETS.envValue },
        model_list: [
          ...leakyModels(llm, proxy, SECRETS),
          { model_name: "gemini-style", model: "openai/unused", api_base: `http://gemuser:${SECRETS.basePass}@127.0.0.1:${port}/v1?key=${SECRETS.queryKey}` },
        ],
        agents: { defaults: { model_name: "main", fallbacks: ["backup"] } },
        channels: { telegram: { enabled: false, token: SECRETS.telegram } },
      }),
    );
    // the primary fails with an error that echoes every header it received (keys included)
    echoHeadersInErrors(llm);
    const env = { SWITCHBOARD_HOME: home, HOME: home, SWITCHBOARD_LOG_LEVEL: "debug", SWITCHBOARD_LOG_FORMAT: "json" };
    const turn = await runCli(["agent", "-m", "hello"], env);
    expect(turn.code).toBe(0);
    expect(turn.stdout.trim()).toBe("fine");
    // the traffic really carried the secrets: through the proxy, with the header
    expect(proxy.auths.length).toBeGreaterThan(0);
    expect(llm.requests.some((r) => r.headers["x-tenant-secret"] === SECRETS.header)).toBe(true);

    const outputs: [string, string][] = [
      ["agent logs", turn.stderr],
      ["status", (await runCli(["status"], env)).stdout],
      ["status --json", (await runCli(["status", "--json"], env)).stdout],
      ["config get", (await runCli(["config", "get"], env)).stdout],
      ["config get --raw", (await runCli(["config", "get", "--raw"], env)).stdout],
      ["config get model_list", (await runCli(["config", "get", "model_list"], env)).stdout],
      ["doctor", (await runCli(["doctor"], env)).stdout],
    ];
    for (const file of ["state/router.json", "state/router.db", "state/router.db-wal"]) {
      const path = join(home, file);
      if (existsSync(path)) outputs.push([file, readFileSync(path, "latin1")]);
    }
    expect(outputs.find(([n]) => n === "state/router.json")?.[1]).toMatch(/server_error/);
    expect(outputs.find(([n]) => n === "status --json")?.[1]).toMatch(/upstream broke/);
    for (const [where, text] of outputs) {
      for (const [name, secret] of Object.entries(SECRETS)) {
        expect(text.includes(secret), `${name} leaked into ${where}`).toBe(false);
      }
    }
  });
});
