import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, EXIT_CONFIG } from "../../src/core/errors.ts";
import { loadConfig, parseConfigText, readRawConfig } from "../../src/config/load.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sb-load-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function parse(text: string, env: NodeJS.ProcessEnv = {}) {
  return parseConfigText(text, { env, file: "config.json" });
}

function failure(text: string, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parse(text, env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("JSON5 and repairs", () => {
  it("accepts comments, trailing commas, unquoted keys and single quotes", () => {
    const { config, warnings } = parse(`{
      // the agent's model
      agents: { defaults: { model_name: 'gpt-4', }, },
      /* a block comment */
      "gateway": { "port": 8080, },
    }`);
    expect(config.agents.defaults.model_name).toBe("gpt-4");
    expect(config.gateway.port).toBe(8080);
    expect(warnings.filter((w) => /line|unknown/.test(w))).toEqual([]);
  });

  it("repairs numeric separators and missing commas, with a warning per line", () => {
    const { config, warnings } = parse(`{
  "gateway": { "port": 18_790 }
  "heartbeat": { "interval": 1_0 }
}`);
    expect(config.gateway.port).toBe(18790);
    expect(config.heartbeat.interval).toBe(10);
    expect(warnings).toEqual(expect.arrayContaining([
      "config.json line 2: numeric separators removed (write 18790, not 18_790)",
      "config.json line 2: missing comma added at the end of the line",
      "config.json line 3: numeric separators removed (write 10, not 1_0)",
    ]));
  });

  it("names the line and column of a real syntax error, and how to fix it", () => {
    const err = failure(`{\n  "gateway": {\n    "port": 1,,\n  }\n}`);
    expect(err.exitCode).toBe(EXIT_CONFIG);
    expect(err.message).toMatch(/line 3, column \d+/);
    expect(err.problems[0]!.hint).toMatch(/missing comma, quote, colon or bracket/);
  });

  it("says when the file ends too early", () => {
    const err = failure(`{\n  "gateway": { "port": 1 }\n`);
    expect(err.problems[0]!.hint).toMatch(/ends too early/);
  });

  it("refuses a file that is not an object", () => {
    expect(failure(`["model_list"]`).problems[0]!.message).toMatch(/must be an object/);
  });

  it("reads a file with a byte-order mark and Windows line endings", () => {
    const { config, warnings } = parse(`\uFEFF{\r\n  "gateway": { "port": 1 }\r\n  "session": { "dm_scope": "main" }\r\n}\r\n`);
    expect(config.gateway.port).toBe(1);
    expect(config.session.dm_scope).toBe("main");
    expect(warnings).toEqual(["config.json line 2: missing comma added at the end of the line"]);
  });

  it("refuses an empty file, or one with only comments, instead of running on defaults", () => {
    for (const text of ["", "  \n", "// nothing yet\n/* later */\n"]) {
      expect(() => parse(text)).toThrow(/the file is empty.*write \{\}/s);
    }
  });
});

describe("embedded defaults", () => {
  it("make {} a usable config", () => {
    const { config, warnings } = parse("{}");
    expect(warnings).toEqual([]);
    expect(config.model_list).toEqual([]);
    expect(config.gateway).toMatchObject({ host: "127.0.0.1", port: 18790, allowed_hosts: [], cors: { origins: [] }, api: { user_sessions: false } });
    expect(config.session.dm_scope).toBe("per-channel-peer");
    expect(config.agents.defaults.max_tool_iterations).toBe(20);
    expect(config.heartbeat).toMatchObject({ enabled: false, interval: 30 });
    expect(config.tools.cron.exec_timeout_minutes).toBe(5);
    expect(config.channels.telegram).toMatchObject({ enabled: false, mode: "polling", allow_from: [] });
    expect(config.channels.whatsapp.bridge_url).toBe("ws://localhost:3001");
    expect(config.channels.feishu.domain).toBe("feishu");
    expect(config.models).toEqual({ mode: "merge", providers: {} });
  });

  it("fill defaults inside given objects", () => {
    const { config } = parse(`{"model_list": [{"model_name": "a", "model": "openai/x"}], "tools": {"web": {"brave": {"enabled": true}}}}`);
    expect(config.model_list[0]).toMatchObject({ request_timeout: 120, enabled: true });
    expect(config.tools.web.brave).toMatchObject({ enabled: true, max_results: 5 });
  });
});

describe("${VAR} substitution", () => {
  it("replaces ${VAR} and ${VAR:-default} in every string, at any depth", () => {
    const { config, warnings } = parse(
      `{"model_list": [{"model_name": "m", "model": "openai/x", "api_key": "\${MY_KEY}", "api_keys": ["\${K2}"], "api_base": "\${MY_BASE:-http://localhost:9/v1}", "custom_headers": {"X-Team": "team-\${TEAM}"}}],
        "channels": {"telegram": {"allow_from": ["\${ADMIN}", "$HOME"]}}}`,
      { MY_KEY: "sk-real", K2: "sk-two", TEAM: "blue", ADMIN: "42" },
    );
    expect(config.model_list[0]).toMatchObject({ api_key: "sk-real", api_keys: ["sk-two"], api_base: "http://localhost:9/v1", custom_headers: { "X-Team": "team-blue" } });
    expect(config.channels.telegram.allow_from).toEqual(["42", "$HOME"]);
    expect(warnings).toEqual([]);
  });

  it("turns an unset variable into an empty value with a warning naming it and the key path", () => {
    const { config, warnings } = parse(`{"channels": {"telegram": {"token": "\${TG_TOKEN}"}}}`);
    expect(config.channels.telegram.token).toBe("");
    expect(warnings).toEqual([expect.stringMatching(/^channels\.telegram\.token: environment variable TG_TOKEN is not set; using an empty value/)]);
  });

  it("never puts a variable's value in a warning", () => {
    const { warnings } = parse(`{"gateway": {"token": "\${SECRET_TOKEN}"}, "channels": {"discord": {"token": "\${MISSING}"}}}`, { SECRET_TOKEN: "supersecret-123" });
    expect(warnings.join("\n")).not.toContain("supersecret-123");
    expect(warnings).toContainEqual(expect.stringMatching(/channels\.discord\.token: environment variable MISSING/));
  });
});

describe("the env block", () => {
  it("fills variables the environment lacks, never overrides them, and feeds ${VAR}", () => {
    const env: NodeJS.ProcessEnv = { KEEP: "from-env" };
    const { config } = parse(`{"env": {"KEEP": "from-file", "NEW": "n", "PORTNUM": 7}, "gateway": {"token": "\${KEEP}-\${NEW}-\${PORTNUM}"}}`, env);
    expect(config.gateway.token).toBe("from-env-n-7");
    expect(config.env).toEqual({ KEEP: "from-file", NEW: "n", PORTNUM: "7" });
    expect(env).toEqual({ KEEP: "from-env", NEW: "n", PORTNUM: "7" });
  });

  it("may itself use ${VAR} from the environment", () => {
    const env: NodeJS.ProcessEnv = { HOME_DIR: "/home/x" };
    parse(`{"env": {"WORK": "\${HOME_DIR}/work"}}`, env);
    expect(env.WORK).toBe("/home/x/work");
  });

  it("changes nothing when the config is invalid", () => {
    const env: NodeJS.ProcessEnv = {};
    failure(`{"env": {"NEW": "n"}, "gateway": {"port": "high"}}`, env);
    expect(env).toEqual({});
  });
});

describe("normalizations and warnings", () => {
  it("turns numeric allow_from ids into strings and drops empty ones with a warning", () => {
    const { config, warnings } = parse(`{"channels": {"telegram": {"allow_from": [123456789, "@alice", ""]}}}`);
    expect(config.channels.telegram.allow_from).toEqual(["123456789", "@alice"]);
    expect(warnings).toEqual([expect.stringMatching(/channels\.telegram\.allow_from has an empty entry; it is ignored/)]);
  });

  it("raises a heartbeat interval below 5 minutes to 5, with a warning", () => {
    const { config, warnings } = parse(`{"heartbeat": {"enabled": true, "interval": 1, "active_hours": {"start": "08:00", "end": "22:30", "timezone": "Europe/Berlin"}}}`);
    expect(config.heartbeat).toMatchObject({ interval: 5, active_hours: { start: "08:00", end: "22:30", timezone: "Europe/Berlin" } });
    expect(warnings).toEqual(["heartbeat.interval 1 is below the minimum of 5 minutes; using 5"]);
  });

  it("warns about an enabled channel without credentials, and an unsupported OpenClaw api", () => {
    const { warnings } = parse(`{"channels": {"feishu": {"enabled": true, "app_id": "cli_x"}},
      "models": {"providers": {"g": {"baseUrl": "http://127.0.0.1:9", "api": "google-generative-ai", "models": [{"id": "m"}]}}}}`);
    expect(warnings).toContainEqual(expect.stringMatching(/channels\.feishu is enabled but has no app_id and app_secret/));
    expect(warnings).toContainEqual(expect.stringMatching(/models\.providers\.g\.api "google-generative-ai" is not supported; it is treated as "openai-completions"/));
  });

  it("warns about a model without a key on its vendor's endpoint, naming where to put one", () => {
    const { warnings } = parse(`{"model_list": [{"model_name": "a", "model": "groq/llama"}]}`);
    expect(warnings).toEqual([expect.stringMatching(/model_list entry "a" has no API key for Groq; set api_key, providers\.groq\.api_key or \$GROQ_API_KEY/)]);
    expect(parse(`{"model_list": [{"model_name": "a", "model": "groq/llama"}]}`, { GROQ_API_KEY: "gsk" }).warnings).toEqual([]);
  });

  it("refuses an Azure entry without the endpoint it cannot default (issue 9)", () => {
    expect(() => parse(`{"model_list": [{"model_name": "az", "model": "azure/gpt-4o", "api_key": "k"}]}`)).toThrow(/model_list\[0\]\.api_base: az is an Azure OpenAI entry without api_base/);
  });
});

describe("loadConfig", () => {
  it("gives the embedded defaults for a missing file, never an error", () => {
    const file = join(dir, "missing.json");
    const loaded = loadConfig({ path: file, env: {} });
    expect(loaded).toMatchObject({ exists: false, file, warnings: [] });
    expect(loaded.config.gateway.port).toBe(18790);
  });

  it("refuses a missing file when it is required", () => {
    const err = (() => {
      try {
        loadConfig({ path: join(dir, "nope.json"), env: {}, required: true });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).toMatch(/nope\.json does not exist/);
    expect(err!.exitCode).toBe(78);
  });

  it("reads <SWITCHBOARD_HOME>/config.json by default", () => {
    writeFileSync(join(dir, "config.json"), `{"agents": {"defaults": {"model_name": "from-home"}}}`);
    const loaded = loadConfig({ env: { SWITCHBOARD_HOME: dir } });
    expect(loaded).toMatchObject({ exists: true, file: join(dir, "config.json") });
    expect(loaded.config.agents.defaults.model_name).toBe("from-home");
  });

  it("names the file in errors", () => {
    const file = join(dir, "bad.json");
    writeFileSync(file, `{"gateway": {"port": -1}}`);
    expect(() => loadConfig({ path: file, env: {} })).toThrow(/invalid configuration in .*bad\.json:\n {2}- gateway\.port/);
  });

  it("reports an unreadable path as a config error with a fix", () => {
    const sub = join(dir, "adir");
    mkdirSync(sub);
    expect(() => loadConfig({ path: sub, env: {} })).toThrow(/cannot read .*adir: EISDIR/);
  });

  it("readRawConfig keeps ${VAR} and unknown keys as written, after repairs", () => {
    const file = join(dir, "raw.json");
    writeFileSync(file, `{"gateway": {"token": "\${T}", "colour": 1_000}}`);
    chmodSync(file, 0o600);
    const { raw, warnings, exists } = readRawConfig(file);
    expect(exists).toBe(true);
    expect(raw).toEqual({ gateway: { token: "${T}", colour: 1000 } });
    expect(warnings).toHaveLength(1);
    expect(readRawConfig(join(dir, "none.json"))).toEqual({ raw: {}, warnings: [], exists: false });
  });
});

describe("numeric app ids", () => {
  it("accepts a QQ or Feishu app_id written as a number", () => {
    const { config } = parseConfigText('{"channels": {"qq": {"app_id": 102001234, "app_secret": "s"}}}', { env: {} });
    expect(config.channels.qq.app_id).toBe("102001234");
  });
});
