import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeLlm, type FakeLlm } from "../fakes/fake-llm.ts";
import { BIN, runCli } from "./run-cli.ts";

let llm: FakeLlm;
let home: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  llm = await startFakeLlm();
});
afterAll(() => llm.close());
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), "sb-cli-"));
  env = { SWITCHBOARD_HOME: home, SWITCHBOARD_LOG_LEVEL: "error", HOME: home };
  llm.requests.length = 0;
  llm.setDefault((req) => ({ reply: `echo: ${JSON.stringify((req.body.messages as { content: unknown }[]).at(-1)!.content)}` }));
});

function writeConfig(cfg: unknown): void {
  writeFileSync(join(home, "config.json"), JSON.stringify(cfg));
}

const twoModels = () => ({
  model_list: [
    { model_name: "primary", model: "openai/main-model", api_base: `${llm.url}/v1`, api_key: "sk-primary-secret-1234" },
    { model_name: "backup", model: "anthropic-messages/claude-x", api_base: llm.url, api_key: "sk-backup-secret-5678" },
  ],
  agents: { defaults: { model_name: "primary", fallbacks: ["backup"] } },
});

describe("switchboard agent", () => {
  it("runs one turn and prints the reply", async () => {
    writeConfig(twoModels());
    const r = await runCli(["agent", "-m", "hello"], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('echo: "hello"');
    expect(llm.requests[0]!.body.model).toBe("main-model");
  });

  it("answers from the fallback when the primary is rate-limited, and status shows the cooldown", async () => {
    writeConfig(twoModels());
    llm.script({ status: 429, headers: { "retry-after": "120" } });
    const r = await runCli(["agent", "-m", "hi"], env);
    expect(r.code).toBe(0);
    expect(llm.requests.map((q) => q.protocol)).toEqual(["openai", "anthropic"]);
    const status = await runCli(["status", "--json"], env);
    const report = JSON.parse(status.stdout) as { models: { entryId: string; cooling: boolean; lastError: { reason: string } | null; key: string }[] };
    const primary = report.models.find((m) => m.entryId === "primary#0")!;
    expect(primary).toMatchObject({ cooling: true, lastError: { reason: "rate_limit" } });
    expect(status.stdout).not.toContain("sk-primary-secret-1234");
    const human = await runCli(["status"], env);
    expect(human.stdout).toMatch(/primary#0[\s\S]*cooling until[\s\S]*last error rate_limit \(429\)/);
  });

  it("fails with one line naming the attempts and a non-zero exit when every candidate fails", async () => {
    writeConfig(twoModels());
    llm.setDefault({ status: 401 });
    const r = await runCli(["agent", "-m", "hi"], env);
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/all 2 attempts failed: primary#0 key1 auth \(401\).*backup#0 key1 auth \(401\)/);
    expect(r.stderr).not.toMatch(/secret/);
  });

  it("uses --model and --session", async () => {
    writeConfig(twoModels());
    await runCli(["agent", "-m", "first", "--session", "s1"], env);
    await runCli(["agent", "-m", "second", "--session", "s1", "--model", "backup"], env);
    expect(llm.requests[1]!.protocol).toBe("anthropic");
    expect(JSON.stringify(llm.requests[1]!.body.messages)).toContain("first");
  });

  it("runs an interactive session from stdin", async () => {
    writeConfig(twoModels());
    const r = await runCli(["agent"], env, "one\ntwo\n");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('agent> echo: "one"');
    expect(r.stdout).toContain('agent> echo: "two"');
  });

  it("says how to configure a model when none is", async () => {
    const r = await runCli(["agent", "-m", "hi"], env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/agents\.defaults\.model_name|switchboard onboard/);
  });
});

describe("state shared between processes", () => {
  it("spreads consecutive one-shot runs over a round-robin group", async () => {
    writeConfig({
      model_list: [
        { model_name: "g", model: "openai/m1", api_base: `${llm.url}/v1`, api_key: "sk-one-123456" },
        { model_name: "g", model: "openai/m2", api_base: `${llm.url}/v1`, api_key: "sk-two-123456" },
      ],
    });
    for (let i = 0; i < 4; i++) expect((await runCli(["agent", "-m", `hi ${i}`], env)).code).toBe(0);
    expect(llm.requests.map((r) => r.body.model)).toEqual(["m1", "m2", "m1", "m2"]);
  });

  it("holds an entry's rpm across one-shot runs", async () => {
    writeConfig({
      model_list: [
        { model_name: "slow", model: "openai/limited", api_base: `${llm.url}/v1`, api_key: "sk-lim-123456", rpm: 1 },
        { model_name: "spare", model: "openai/spare", api_base: `${llm.url}/v1`, api_key: "sk-spare-123456" },
      ],
      agents: { defaults: { model_name: "slow", fallbacks: ["spare"] } },
    });
    expect((await runCli(["agent", "-m", "one"], env)).code).toBe(0);
    expect((await runCli(["agent", "-m", "two"], env)).code).toBe(0);
    // the second process saw the first one's call: "limited" had used its 1 request this minute
    expect(llm.requests.map((r) => r.body.model)).toEqual(["limited", "spare"]);
  });
});

describe("config commands", () => {
  it("refuses an invalid config with exit 78 and the key path", async () => {
    writeConfig({ model_list: [{ model_name: "x", model: "openai/y", request_timeout: "soon" }] });
    const r = await runCli(["agent", "-m", "hi"], env);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/model_list\[0\]\.request_timeout/);
    expect((await runCli(["config", "validate"], env)).code).toBe(78);
  });

  it("warns about unknown keys and still runs", async () => {
    writeConfig({ ...twoModels(), chanels: {} });
    const r = await runCli(["agent", "-m", "hi"], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/unknown key chanels/);
  });

  it("onboards non-interactively against LiteLLM, then switches models with config set", async () => {
    const r = await runCli(["onboard", "--auth-choice", "litellm-api-key", "--base-url", llm.url, "--api-key", "sk-lite-1234", "--model", "gpt-4", "--non-interactive"], env);
    expect(r.code).toBe(0);
    const written = JSON.parse(readFileSync(join(home, "config.json"), "utf8")) as Record<string, unknown>;
    expect(written).toMatchObject({ agents: { defaults: { model: { primary: "litellm/gpt-4" } } } });
    expect(readFileSync(join(home, "workspace", "AGENT.md"), "utf8")).toMatch(/# Agent/);
    await runCli(["agent", "-m", "hi"], env);
    expect(llm.requests[0]).toMatchObject({ path: "/v1/chat/completions", body: { model: "gpt-4" } });
    expect(llm.requests[0]!.headers.authorization).toBe("Bearer sk-lite-1234");
    const set = await runCli(["config", "set", "agents.defaults.model.primary", "litellm/claude-3-opus"], env);
    expect(set.code).toBe(0);
    await runCli(["agent", "-m", "again"], env);
    expect(llm.requests[1]!.body.model).toBe("claude-3-opus");
    const get = await runCli(["config", "get", "providers.litellm.api_key"], env);
    expect(get.stdout.trim()).toBe("sk-…(12 chars)");
  });

  it("refuses a config set that would make the file invalid and writes nothing", async () => {
    writeConfig(twoModels());
    const before = readFileSync(join(home, "config.json"), "utf8");
    const r = await runCli(["config", "set", "session.dm_scope", "everyone"], env);
    expect(r.code).toBe(78);
    expect(readFileSync(join(home, "config.json"), "utf8")).toBe(before);
  });

  it("migrates the old provider form with a backup", async () => {
    writeConfig({ providers: { zhipu: { api_key: "k", api_base: `${llm.url}/v1` } }, agents: { defaults: { provider: "zhipu", model: "glm-4.7" } } });
    const r = await runCli(["migrate"], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/backup: .*config\.json\.bak-/);
    const migrated = JSON.parse(readFileSync(join(home, "config.json"), "utf8")) as { model_list: unknown[] };
    expect(migrated.model_list).toEqual([{ model_name: "glm-4.7", model: "zhipu/glm-4.7", api_key: "k", api_base: `${llm.url}/v1` }]);
    await runCli(["agent", "-m", "hi"], env);
    expect(llm.requests[0]!.body.model).toBe("glm-4.7");
  });

  it("imports an OpenClaw config", async () => {
    const src = join(home, "openclaw.json");
    writeFileSync(src, `{ env: { LITELLM_API_KEY: "sk-x" }, agents: { defaults: { model: { primary: "litellm/gpt-4" } } }, models: { providers: { litellm: { baseUrl: "${llm.url}", apiKey: "\${LITELLM_API_KEY}", api: "openai-completions", models: [{ id: "gpt-4" }] } } } }`);
    const r = await runCli(["migrate", "--from", "openclaw", "--source", src], env);
    expect(r.code).toBe(0);
    const run = await runCli(["agent", "-m", "hi"], env);
    expect(run.code).toBe(0);
    expect(llm.requests[0]!.headers.authorization).toBe("Bearer sk-x");
  });

  it("prints the version fast and exits 0", async () => {
    const r = await runCli(["version"], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^switchboard \d+\.\d+\.\d+ \(node 24\./);
  });
});

describe("switchboard agent --audio", () => {
  it("transcribes a recording through the voice model and answers it", async () => {
    writeConfig({
      ...twoModels(),
      model_list: [...twoModels().model_list, { model_name: "ears", model: "openai/whisper-1", api_base: `${llm.url}/v1` }],
      voice: { model_name: "ears" },
    });
    llm.transcript = "remind me to water the plants";
    const r = await runCli(["agent", "--audio", join(import.meta.dirname, "../fixtures/audio/hello-switchboard.ogg")], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('🎤 "remind me to water the plants"');
    expect(r.stdout.trim()).toBe('echo: "remind me to water the plants"');
  });

  it("says in one sentence why a recording could not be transcribed", async () => {
    writeConfig(twoModels());
    const r = await runCli(["agent", "--audio", join(import.meta.dirname, "../fixtures/audio/hello-switchboard.ogg")], env);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/voice\.model_name|Groq/);
  });
});

describe("one-shot failures and results", () => {
  it("says in one line that a 401 is a key problem, not a wait", async () => {
    writeConfig(twoModels());
    llm.setDefault({ status: 401 });
    const { SWITCHBOARD_LOG_LEVEL: _level, ...defaultLogging } = env;
    const r = await runCli(["agent", "-m", "hi"], defaultLogging);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/refused the API key.*waiting will not help/);
    expect(r.stderr).not.toMatch(/try again/);
  });

  it("says a 402 is a billing problem, and --verbose shows every attempt", async () => {
    writeConfig(twoModels());
    llm.setDefault({ status: 402, body: { error: { message: "Insufficient Balance", type: "unknown_error" } } });
    const r = await runCli(["agent", "-m", "hi"], env);
    expect(r.stderr).toMatch(/billing.*no credit or quota left/);
    const v = await runCli(["agent", "-m", "hi", "--verbose"], env);
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/attempt primary#0 key1 \(openai\/main-model\): billing HTTP 402: .*Insufficient Balance/);
  });

  it("saves generated images to files and prints their paths", async () => {
    const { startFakeServer } = await import("../voice/helpers.ts");
    const images = await startFakeServer();
    try {
      const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=", "base64");
      images.on("/v1/images/generations", { json: { data: [{ b64_json: png.toString("base64") }] } });
      writeConfig({
        ...twoModels(),
        model_list: [...twoModels().model_list, { model_name: "img", model: "openai/gpt-image-2", api_base: `${images.url}/v1`, api_key: "sk-img-123456" }],
        agents: { defaults: { model_name: "primary", imageGenerationModel: { primary: "img" } } },
      });
      llm.script({ toolCalls: [{ name: "image_generate", arguments: { prompt: "a red boat" } }] }, { reply: "Here is your boat." });
      const r = await runCli(["agent", "-m", "draw a boat", "--out-dir", join(home, "out")], env);
      expect(r.code).toBe(0);
      const [text, imageLine] = r.stdout.trim().split("\n");
      expect(text).toBe("Here is your boat.");
      const path = /^\[image\] (.+\.png)$/.exec(imageLine ?? "")?.[1];
      expect(path && readFileSync(path).equals(png)).toBe(true);
    } finally {
      await images.close();
    }
  });
});

describe("switchboard auth", () => {
  it("stores a piped token 0600, uses it for entries without a key, shows it masked and logs out", async () => {
    writeConfig({ model_list: [{ model_name: "m", model: "openai/main-model", api_base: `${llm.url}/v1` }] });
    const login = await runCli(["auth", "login", "--provider", "openai"], env, "sk-stored-token-987654\n");
    expect(login.code).toBe(0);
    expect(login.stdout).not.toContain("sk-stored-token-987654");
    const file = join(home, "credentials.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await runCli(["agent", "-m", "hi"], env)).code).toBe(0);
    expect(llm.requests[0]!.headers.authorization).toBe("Bearer sk-stored-token-987654");
    const status = await runCli(["auth", "status"], env);
    expect(status.stdout).toMatch(/openai\s+sk-…7654/);
    expect(status.stdout).not.toContain("sk-stored-token-987654");
    expect((await runCli(["auth", "logout", "--provider", "openai"], env)).stdout).toMatch(/removed/);
    expect(existsSync(file)).toBe(false);
    expect((await runCli(["auth", "login", "--provider", "nope"], env, "x\n")).code).toBe(2);
  });

  it("asks on a terminal without echoing the token", async () => {
    // a real pseudo-terminal through util-linux `script`
    const { spawn } = await import("node:child_process");
    const child = spawn("script", ["-qfec", `${process.execPath} ${BIN} auth login --provider anthropic`, "/dev/null"], {
      env: { PATH: process.env.PATH, ...env, TERM: "dumb" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    await expect.poll(() => out, { timeout: 15_000 }).toMatch(/input is hidden/);
    child.stdin.write("sk-ant-typed-secret-4321\r");
    const code = await new Promise<number | null>((r) => child.on("exit", r));
    expect(code).toBe(0);
    expect(out).toMatch(/saved the Anthropic token/);
    expect(out).not.toContain("sk-ant-typed-secret-4321");
    expect(JSON.parse(readFileSync(join(home, "credentials.json"), "utf8")).tokens.anthropic.token).toBe("sk-ant-typed-secret-4321");
  });
});
