// `switchboard doctor` probes for real: a model that does not answer, or
// refuses the key, fails; a channel whose platform refuses the token fails;
// --json is machine-readable; --fix repairs permissions, workspace files and
// the config (with a backup).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startDaemon, waitFor, writeConfig, type RunningDaemon } from "../e2e/daemon.ts";
import { startFakeLlm, type FakeLlm } from "../fakes/fake-llm.ts";
import { FakeLark } from "../fakes/lark/server.ts";
import { FakeQq } from "../fakes/qq/server.ts";
import { FakeTelegramApi } from "../fakes/telegram-api.ts";
import { runCli } from "./run-cli.ts";

let llm: FakeLlm;
let tg: FakeTelegramApi;
let home: string;
let env: NodeJS.ProcessEnv;
let daemon: RunningDaemon | undefined;

beforeAll(async () => {
  llm = await startFakeLlm();
  tg = await FakeTelegramApi.start();
});
afterAll(async () => Promise.all([llm.close(), tg.close()]));
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "sb-doctor-"));
  env = { SWITCHBOARD_HOME: home, HOME: home, SWITCHBOARD_GATEWAY_PORT: "0" };
  llm.setDefault(() => ({ reply: "pong" }));
});
afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  rmSync(home, { recursive: true, force: true });
});

interface Report {
  ok: boolean;
  checks: { id: string; level: string; what: string; fix?: string; fixed?: string }[];
}

async function doctor(...args: string[]): Promise<{ code: number | null; report: Report }> {
  const r = await runCli(["doctor", "--json", ...args], env, undefined, 60_000);
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
}
const check = (r: Report, id: string) => r.checks.find((c) => c.id === id);

function config(over: Record<string, unknown> = {}) {
  return {
    model_list: [
      { model_name: "main", model: "openai/main-model", api_base: `${llm.url}/v1`, api_key: "sk-main-1234567890" },
      // nothing listens on port 9
      { model_name: "dead", model: "openai/dead-model", api_base: "http://127.0.0.1:9/v1", api_key: "sk-dead-1234567890" },
    ],
    agents: { defaults: { model_name: "main", fallbacks: ["dead"] } },
    channels: { telegram: { enabled: true, token: tg.token, api_base: tg.url, allow_from: ["1001"] } },
    ...over,
  };
}

describe("switchboard doctor probes", () => {
  it("sends each model a real request: the answering one is ok, the unreachable one fails as a network problem", async () => {
    writeConfig(home, config());
    const { code, report } = await doctor();
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(check(report, "model:main#0")).toMatchObject({ level: "ok", what: expect.stringMatching(/answered in \d+ ms/) });
    expect(check(report, "model:dead#0")).toMatchObject({ level: "fail", what: expect.stringContaining("network"), fix: expect.stringContaining("api_base") });
    expect(llm.requests.some((r) => r.body.model === "main-model")).toBe(true);
    expect(JSON.stringify(report)).not.toContain("sk-main-1234567890");
  });

  it("a key the provider refuses fails as auth", async () => {
    writeConfig(home, config({ agents: { defaults: { model_name: "main" } } }));
    llm.setDefault({ status: 401 });
    const { report } = await doctor();
    expect(check(report, "model:main#0")).toMatchObject({ level: "fail", what: expect.stringContaining("auth"), fix: expect.stringContaining("API key") });
  });

  it("asks each channel's platform: a good token is accepted, a wrong one fails", async () => {
    writeConfig(home, config({ agents: { defaults: { model_name: "main" } } }));
    const good = await doctor();
    expect(good.code).toBe(0);
    expect(check(good.report, "channel:telegram")).toMatchObject({ level: "ok", what: "channel telegram: the platform accepted the credentials" });
    writeConfig(home, config({ agents: { defaults: { model_name: "main" } }, channels: { telegram: { enabled: true, token: "999:wrong-token", api_base: tg.url, allow_from: ["1"] } } }));
    const bad = await doctor();
    expect(bad.code).toBe(1);
    expect(check(bad.report, "channel:telegram")!.level).toBe("fail");
    expect(JSON.stringify(bad.report)).not.toContain("999:wrong-token");
  });

  it("checks QQ, Feishu and WhatsApp credentials without a running gateway", async () => {
    const qq = await FakeQq.start();
    const lark = await FakeLark.start();
    try {
      const channels = {
        qq: { enabled: true, allow_from: ["1"], ...qq.config() },
        feishu: { enabled: true, allow_from: ["1"], ...lark.config() },
        whatsapp: { enabled: true, allow_from: ["1"], use_native: true },
      };
      writeConfig(home, config({ agents: { defaults: { model_name: "main" } }, channels }));
      const good = await doctor();
      expect(check(good.report, "channel:qq")).toMatchObject({ level: "ok", what: "channel qq: the platform accepted the credentials" });
      expect(check(good.report, "channel:feishu")).toMatchObject({ level: "ok", what: "channel feishu: the platform accepted the credentials" });
      // WhatsApp has no credential to ask about: paired or not is what can be told
      expect(check(good.report, "channel:whatsapp")).toMatchObject({ level: "fail", what: expect.stringContaining("switchboard channels login whatsapp") });
      writeConfig(home, config({ agents: { defaults: { model_name: "main" } }, channels: { ...channels, qq: { ...channels.qq, app_secret: "wrong-secret-0000" }, feishu: { ...channels.feishu, app_secret: "wrong-secret-1111" } } }));
      const bad = await doctor();
      expect(check(bad.report, "channel:qq")!.level).toBe("fail");
      expect(check(bad.report, "channel:feishu")!.level).toBe("fail");
      expect(JSON.stringify(bad.report)).not.toMatch(/wrong-secret/);
    } finally {
      await Promise.all([qq.close(), lark.close()]);
    }
  });

  it("with a gateway running, reports its view of each channel", async () => {
    writeConfig(home, config({ agents: { defaults: { model_name: "main" } } }));
    daemon = await startDaemon(home);
    await waitFor(async () => (await fetch(`${daemon!.url}/ready`)).status === 200 || undefined, "/ready", 15_000);
    const { code, report } = await doctor();
    expect(code).toBe(0);
    expect(check(report, "gateway")).toMatchObject({ level: "ok", what: expect.stringContaining(`gateway running at ${daemon.url}`) });
    expect(check(report, "channel:telegram")).toMatchObject({ level: "ok", what: "channel telegram is online in the running gateway" });
  });
});

describe("switchboard doctor --fix", () => {
  it("tightens permissions, writes missing workspace files and repairs the config with a backup", async () => {
    // a missing comma the loader tolerates, a world-readable config and state directory
    const text = JSON.stringify(config({ agents: { defaults: { model_name: "main" } } }), null, 2).replace('"model_name": "main",\n      "model": "openai/main-model",', '"model_name": "main"\n      "model": "openai/main-model",');
    writeFileSync(join(home, "config.json"), text);
    chmodSync(join(home, "config.json"), 0o644);
    chmodSync(home, 0o755);
    mkdirSync(join(home, "workspace"));
    writeFileSync(join(home, "workspace", "SOUL.md"), "my own soul\n");

    const before = await doctor();
    expect(check(before.report, "permissions:config")!.level).toBe("warn");
    expect(check(before.report, "permissions:state directory")!.level).toBe("warn");
    expect(check(before.report, "workspace")).toMatchObject({ level: "warn", what: expect.stringContaining("AGENT.md") });
    expect(check(before.report, "config:repair")!.level).toBe("warn");

    const fixed = await doctor("--fix");
    expect(fixed.code).toBe(0);
    for (const id of ["permissions:state directory", "workspace", "config:repair"]) expect(check(fixed.report, id), id).toMatchObject({ level: "ok", fixed: expect.any(String) });
    // the repaired config is written private, so its permissions need no separate fix
    expect(check(fixed.report, "permissions:config")!.level).toBe("ok");
    expect(statSync(join(home, "config.json")).mode & 0o777).toBe(0o600);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    expect(existsSync(join(home, "workspace", "AGENT.md"))).toBe(true);
    expect(readFileSync(join(home, "workspace", "SOUL.md"), "utf8")).toBe("my own soul\n");
    expect(JSON.parse(readFileSync(join(home, "config.json"), "utf8")).model_list[0].model_name).toBe("main");
    const backups = readdirSync(home).filter((f) => f.startsWith("config.json.bak-"));
    expect(backups).toHaveLength(1);
    expect(readFileSync(join(home, backups[0]!), "utf8")).toBe(text);

    const after = await doctor();
    expect(after.report.checks.filter((c) => c.level !== "ok")).toEqual([]);
  });
});
