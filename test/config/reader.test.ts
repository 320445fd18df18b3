import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, EXIT_CONFIG } from "../../src/core/errors.ts";
import { importOpenclaw, importPicoclaw, migrateConfig, writeConfigFile } from "../../src/config/dialects.ts";
import { agentModelSelection, buildModelDirectory } from "../../src/config/directory.ts";
import { getPath, maskSecrets, setPath } from "../../src/config/dotted.ts";
import { resolvePaths } from "../../src/config/locations.ts";
import { loadConfig, parseConfigText } from "../../src/config/reader.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sb-config-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function configError(text: string): ConfigError {
  try {
    parseConfigText(text, { env: {} });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("reading the config", () => {
  it("accepts comments and trailing commas", () => {
    const { config } = parseConfigText(`{
      // the model
      "agents": { "defaults": { "model_name": "x", }, },
    }`, { env: {} });
    expect(config.agents.defaults.model_name).toBe("x");
  });

  it("warns about unknown keys by full path and keeps running", () => {
    const { warnings, config } = parseConfigText(`{"channels": {"telegram": {"tokn": "x", "enabled": true}}, "colour": 1}`, { env: {} });
    expect(warnings).toEqual(expect.arrayContaining([expect.stringContaining("channels.telegram.tokn"), expect.stringContaining("unknown key colour")]));
    expect(config.channels.telegram.enabled).toBe(true);
  });

  it("refuses invalid values with the key path, what was wrong and the fix, exit 78", () => {
    const err = configError(`{"model_list": [{"model_name": "a", "model": "openai/x"}, {"model_name": "b", "model": "openai/y", "request_timeout": "slow"}], "session": {"dm_scope": "everyone"}}`);
    expect(err.exitCode).toBe(EXIT_CONFIG);
    expect(err.message).toMatch(/model_list\[1\]\.request_timeout: .*"slow".*fix: give the timeout in seconds/);
    expect(err.message).toMatch(/session\.dm_scope: .*fix: use one of: "main", "per-peer", "per-channel-peer", "per-account-channel-peer"/);
  });

  it("never prints a secret in an error", () => {
    const err = configError(`{"model_list": [{"model_name": "a", "model": "openai/x", "api_key": 12345678}]}`);
    expect(err.message).toMatch(/model_list\[0\]\.api_key/);
    expect(err.message).not.toContain("12345678");
  });

  it("points at the line of a syntax error", () => {
    const err = configError(`{\n  "a": 1,\n  "b": [1, 2\n}`);
    expect(err.message).toMatch(/line \d+, column \d+/);
  });

  it("substitutes ${VAR} and ${VAR:-default}, warning about unset variables", () => {
    const { config, warnings } = parseConfigText(
      `{"model_list": [{"model_name": "m", "model": "openai/x", "api_key": "\${MY_KEY}", "api_base": "\${MY_BASE:-http://localhost:9/v1}", "proxy": "\${NOPE}"}]}`,
      { env: { MY_KEY: "sk-real" } },
    );
    expect(config.model_list[0]).toMatchObject({ api_key: "sk-real", api_base: "http://localhost:9/v1", proxy: "" });
    expect(warnings).toEqual([expect.stringMatching(/model_list\[0\]\.proxy: environment variable NOPE is not set/)]);
  });

  it("lets the env block fill variables the environment lacks, never override them", () => {
    const env: NodeJS.ProcessEnv = { KEEP: "from-env" };
    const { config } = parseConfigText(`{"env": {"KEEP": "from-file", "NEW": "n"}, "gateway": {"token": "\${KEEP}-\${NEW}"}}`, { env });
    expect(config.gateway.token).toBe("from-env-n");
    expect(env.NEW).toBe("n");
  });

  it("starts on embedded defaults without a file", () => {
    const loaded = loadConfig({ path: join(dir, "missing.json"), env: {} });
    expect(loaded.exists).toBe(false);
    expect(loaded.config.gateway).toEqual({ host: "127.0.0.1", port: 18790 });
    expect(loaded.config.heartbeat).toMatchObject({ enabled: false, interval: 30 });
  });

  it("raises a heartbeat interval below 5 minutes to 5, with a warning", () => {
    const { config, warnings } = parseConfigText(`{"heartbeat": {"enabled": true, "interval": 1}}`, { env: {} });
    expect(config.heartbeat.interval).toBe(5);
    expect(warnings[0]).toMatch(/minimum of 5 minutes/);
  });
});

describe("models", () => {
  it("merges api_key and api_keys and falls back to providers and the vendor's env key", () => {
    const { config } = parseConfigText(`{"model_list": [
      {"model_name": "a", "model": "openai/x", "api_key": "k1", "api_keys": ["k2", "k1"]},
      {"model_name": "b", "model": "groq/llama"},
      {"model_name": "c", "model": "deepseek/chat"}
    ], "providers": {"groq": {"api_key": "gsk"}}}`, { env: {} });
    const d = buildModelDirectory(config, { DEEPSEEK_API_KEY: "ds-env" });
    expect(d.lookup("a")[0]!.apiKeys).toEqual(["k1", "k2"]);
    expect(d.lookup("b")[0]!.apiKeys).toEqual(["gsk"]);
    expect(d.lookup("c")[0]!.apiKeys).toEqual(["ds-env"]);
  });

  it("skips disabled entries and reads fallbacks from any spelling", () => {
    const { config } = parseConfigText(`{"model_list": [{"model_name": "a", "model": "openai/x", "enabled": false}, {"model_name": "a", "model": "openai/y"}],
      "agents": {"defaults": {"model": {"primary": "a", "fallbacks": ["b", "a", "b"]}}}}`, { env: {} });
    expect(buildModelDirectory(config, {}).lookup("a").map((e) => e.modelId)).toEqual(["y"]);
    expect(agentModelSelection(config, {})).toEqual({ primary: "a", fallbacks: ["b"] });
  });

  it("uses LITELLM_* environment when nothing else is configured", () => {
    const { config } = parseConfigText("{}", { env: {} });
    const env = { LITELLM_API_KEY: "sk-l", LITELLM_BASE_URL: "http://10.0.0.5:4000" };
    expect(agentModelSelection(config, env).primary).toBe("litellm/gpt-4");
    expect(buildModelDirectory(config, env).lookup("litellm/gpt-4")[0]).toMatchObject({ apiBase: "http://10.0.0.5:4000/v1", modelId: "gpt-4", apiKeys: ["sk-l"] });
  });
});

describe("paths", () => {
  it("puts everything under SWITCHBOARD_HOME; --config beats SWITCHBOARD_CONFIG", () => {
    const p = resolvePaths({ SWITCHBOARD_HOME: "/srv/sb", SWITCHBOARD_CONFIG: "/etc/sb.json" });
    expect(p).toMatchObject({ home: "/srv/sb", configFile: "/etc/sb.json", dbFile: "/srv/sb/switchboard.db", workspace: "/srv/sb/workspace" });
    expect(resolvePaths({ SWITCHBOARD_HOME: "/srv/sb" }, "/tmp/x.json").configFile).toBe("/tmp/x.json");
    expect(resolvePaths({ SWITCHBOARD_HOME: "/srv/sb" }).configFile).toBe("/srv/sb/config.json");
  });
});

describe("editing and migrating", () => {
  it("sets dotted paths, turning a string model into {primary}", () => {
    const raw = { agents: { defaults: { model: "litellm/gpt-4" } } };
    const next = setPath(raw, "agents.defaults.model.primary", "litellm/claude-3-opus");
    expect(getPath(next, "agents.defaults.model")).toEqual({ primary: "litellm/claude-3-opus" });
    expect(getPath(setPath({}, "model_list[0].rpm", 5), "model_list.0.rpm")).toBe(5);
    expect(raw.agents.defaults.model).toBe("litellm/gpt-4");
  });

  it("masks secrets when printing", () => {
    expect(maskSecrets({ providers: { openai: { api_key: "sk-abcdefgh" } } })).toEqual({ providers: { openai: { api_key: "sk-…(11 chars)" } } });
  });

  it("migrates the old provider form to model_list, and the result loads the same way", () => {
    const old = { providers: { zhipu: { api_key: "k", api_base: "https://open.bigmodel.cn/api/paas/v4" } }, agents: { defaults: { provider: "zhipu", model: "glm-4.7", model_fallbacks: ["x"] } } };
    const { raw, changes } = migrateConfig(old);
    expect(raw.model_list).toEqual([{ model_name: "glm-4.7", model: "zhipu/glm-4.7", api_key: "k", api_base: "https://open.bigmodel.cn/api/paas/v4" }]);
    expect(changes.length).toBeGreaterThanOrEqual(2);
    const { config } = parseConfigText(JSON.stringify(raw), { env: {} });
    expect(agentModelSelection(config, {})).toEqual({ primary: "glm-4.7", fallbacks: ["x"] });
  });

  it("imports OpenClaw and PicoClaw configs", () => {
    const oc = importOpenclaw({
      env: { LITELLM_API_KEY: "sk" },
      agents: { defaults: { model: { primary: "litellm/gpt-4" } } },
      models: { providers: { litellm: { baseUrl: "http://localhost:4000", apiKey: "${LITELLM_API_KEY}", models: [{ id: "gpt-4" }] } } },
    });
    expect(oc.raw).toMatchObject({ model_list: [{ model_name: "litellm/gpt-4", model: "openai/gpt-4", api_base: "http://localhost:4000/v1" }], agents: { defaults: { model_name: "litellm/gpt-4" } } });
    const pc = importPicoclaw({ agents: { defaults: { workspace: "~/.picoclaw/workspace" } } });
    expect(pc.raw).toMatchObject({ agents: { defaults: { workspace: "~/.switchboard/workspace" } } });
  });

  it("writes with a backup first, atomically, mode 0600", () => {
    const file = join(dir, "config.json");
    writeFileSync(file, '{"old": true}');
    const backup = writeConfigFile(file, { new: true });
    expect(readFileSync(backup!, "utf8")).toBe('{"old": true}');
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ new: true });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });
});
