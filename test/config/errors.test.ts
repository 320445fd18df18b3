// Unknown keys warn with their full path; invalid values fail with every
// problem, its path and a fix; secrets never appear in either.
import { describe, expect, it } from "vitest";
import { ConfigError, EXIT_CONFIG } from "../../src/core/errors.ts";
import { parseConfigText } from "../../src/config/load.ts";

function parse(text: string, env: NodeJS.ProcessEnv = {}) {
  return parseConfigText(text, { env });
}

function failure(text: string): ConfigError {
  try {
    parse(text);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("unknown keys", () => {
  it("are warnings naming the full dotted path, and the rest still loads", () => {
    const { warnings, config } = parse(`{
      "channels": {"telegram": {"tokn": "x", "enabled": true, "token": "t"}},
      "model_list": [{"model_name": "a", "model": "openai/x", "api_key": "k", "temprature": 1}],
      "colour": "blue"
    }`);
    expect(warnings).toEqual(expect.arrayContaining([
      expect.stringMatching(/^unknown key channels\.telegram\.tokn is ignored/),
      expect.stringMatching(/^unknown key model_list\[0\]\.temprature is ignored/),
      expect.stringMatching(/^unknown key colour is ignored/),
    ]));
    expect(config.channels.telegram).toMatchObject({ enabled: true, token: "t" });
    expect(config).not.toHaveProperty("colour");
  });

  it("are found inside a model given as {primary, fallbacks}", () => {
    const { warnings, config } = parse(`{"agents": {"defaults": {"model": {"primary": "a", "fallback": ["b"]}}}}`);
    expect(warnings).toContainEqual(expect.stringMatching(/unknown key agents\.defaults\.model\.fallback/));
    expect(config.agents.defaults.model).toEqual({ primary: "a" });
  });

  it("are offered as the likely misspelling of a missing required key", () => {
    const err = failure(`{"model_list": [{"model_name": "a", "modle": "openai/gpt-4o"}]}`);
    expect(err.problems).toEqual([
      expect.objectContaining({ path: "model_list[0].model", message: "is required (expected string)", hint: expect.stringContaining(`is one of "modle" a misspelling of "model"?`) }),
    ]);
  });
});

describe("invalid values", () => {
  it("fail with every problem: key path, what was expected and found, and a fix; exit 78", () => {
    const err = failure(`{
      "model_list": [
        {"model_name": "a", "model": "openai/x"},
        {"model_name": "b", "model": "openai/y"},
        {"model_name": "c", "model": "openai/z", "request_timeout": "slow"}
      ],
      "session": {"dm_scope": "everyone"},
      "gateway": {"port": 70000},
      "heartbeat": {"active_hours": {"start": "8am", "end": "22:00"}}
    }`);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.code).toBe("config_invalid");
    expect(err.exitCode).toBe(EXIT_CONFIG);
    expect(err.problems.map((p) => p.path).sort()).toEqual(["gateway.port", "heartbeat.active_hours.start", "model_list[2].request_timeout", "session.dm_scope"]);
    expect(err.message).toContain(`model_list[2].request_timeout: expected number, not a string, got "slow" (fix: give the timeout in seconds as a number, e.g. 120)`);
    expect(err.message).toMatch(/session\.dm_scope: .*got "everyone" \(fix: use one of "main", "per-peer", "per-channel-peer", "per-account-channel-peer"\)/);
    expect(err.message).toMatch(/gateway\.port: .*got 70000 \(fix: give a port number from 0 to 65535/);
    expect(err.message).toMatch(/heartbeat\.active_hours\.start: expected a time as HH:MM.*got "8am" \(fix: write a 24-hour time/);
  });

  it("explain a URL without its scheme", () => {
    const err = failure(`{"model_list": [{"model_name": "a", "model": "openai/x", "api_base": "localhost:4000/v1"}]}`);
    expect(err.problems).toEqual([{ path: "model_list[0].api_base", message: 'not a URL, got "localhost:4000/v1"', hint: expect.stringContaining("full URL with its scheme") }]);
  });

  it("explain the two shapes of agents.defaults.model", () => {
    const err = failure(`{"agents": {"defaults": {"model": 5}}}`);
    expect(err.problems[0]).toMatchObject({ path: "agents.defaults.model", message: "expected string or object, not a number, got 5", hint: expect.stringContaining('"primary"') });
  });

  it("point into lists: a bad allow_from entry", () => {
    const err = failure(`{"channels": {"qq": {"allow_from": ["1", true]}}}`);
    expect(err.problems[0]).toMatchObject({ path: "channels.qq.allow_from[1]", hint: expect.stringContaining("list of user ids") });
  });

  it("require a webhook URL in webhook mode", () => {
    const err = failure(`{"channels": {"telegram": {"enabled": true, "token": "t", "mode": "webhook"}}}`);
    expect(err.problems[0]).toMatchObject({ path: "channels.telegram.webhook_url", message: expect.stringMatching(/^is required when mode is "webhook": set it to the public HTTPS URL/) });
    // the channel's own message carries the fix; no generic hint beside it
    expect(err.problems[0]!.hint).toBeUndefined();
  });

  it("refuse at load what the channel's adapter would refuse at start, with the key and the fix", () => {
    const err = failure(`{"channels": {"whatsapp": {"enabled": true, "bridge_url": "http://localhost:3001"}}}`);
    expect(err.exitCode).toBe(78);
    expect(err.problems).toEqual([
      expect.objectContaining({ path: "channels.whatsapp.bridge_url", message: expect.stringMatching(/must be a WebSocket URL such as "ws:\/\/localhost:3001"/) }),
    ]);
    // a disabled channel is not the adapter's business yet
    expect(() => parse(`{"channels": {"whatsapp": {"enabled": false, "bridge_url": "http://localhost:3001"}}}`)).not.toThrow();
    const lark = failure(`{"channels": {"feishu": {"enabled": true, "app_id": "cli_x", "app_secret": "s"}}}`);
    expect(lark.problems[0]).toMatchObject({ path: "channels.feishu.app_id", message: expect.stringMatching(/cli_/) });
  });

  it("keep channel keys the adapters read, such as telegram allowed_updates and local_mode", () => {
    const { config, warnings } = parse(
      `{"channels": {"telegram": {"enabled": true, "token": "1:a", "allowed_updates": ["message", "edited_message"], "local_mode": true, "local_dir": "/srv/tg"}}}`,
    );
    expect(warnings.filter((w) => /unknown key/.test(w))).toEqual([]);
    expect(config.channels.telegram).toMatchObject({ allowed_updates: ["message", "edited_message"], local_mode: true, local_dir: "/srv/tg" });
    expect(failure(`{"channels": {"telegram": {"enabled": true, "token": "1:a", "local_mode": true}}}`).problems[0]).toMatchObject({ path: "channels.telegram.local_dir" });
  });

  it("refuse an empty model reference", () => {
    expect(failure(`{"model_list": [{"model_name": "a", "model": "  "}]}`).problems[0]).toMatchObject({ path: "model_list[0].model", message: 'model is empty, got "  "' });
  });
});

describe("secrets", () => {
  const SECRET = "sk-live-4f9a8b7c6d5e";

  it("never appear in an error, whatever key holds them", () => {
    const cases = [
      `{"model_list": [{"model_name": "a", "model": "openai/x", "api_key": ["${SECRET}"]}]}`,
      `{"model_list": [{"model_name": "a", "model": "openai/x", "api_keys": "${SECRET}"}]}`,
      `{"model_list": [{"model_name": "a", "model": "openai/x", "custom_headers": {"Authorization": ["Bearer ${SECRET}"]}}]}`,
      `{"channels": {"telegram": {"token": {"value": "${SECRET}"}}}}`,
      `{"channels": {"feishu": {"app_secret": ["${SECRET}"]}}}`,
      `{"gateway": {"token": ["${SECRET}"]}}`,
      `{"env": {"OPENAI_API_KEY": ["${SECRET}"]}}`,
      `{"models": {"providers": {"x": {"apiKey": ["${SECRET}"]}}}}`,
    ];
    for (const text of cases) {
      const err = failure(text);
      expect(err.message).not.toContain(SECRET);
      expect(err.message).toMatch(/value hidden/);
    }
  });

  it("never appear as a list item or number either", () => {
    const err = failure(`{"model_list": [{"model_name": "a", "model": "openai/x", "api_keys": ["ok", 98765432109]}]}`);
    expect(err.problems[0]!.path).toBe("model_list[0].api_keys[1]");
    expect(err.message).not.toContain("98765432109");
  });

  it("ordinary values whose names merely contain 'token' are still shown", () => {
    const err = failure(`{"agents": {"defaults": {"max_tokens": "lots"}}}`);
    expect(err.message).toContain(`agents.defaults.max_tokens: expected number, not a string, got "lots"`);
  });

  it("a URL's password is masked when the URL is shown", () => {
    const err = failure(`{"model_list": [{"model_name": "a", "model": "openai/x", "proxy": "proxy//user:hunter2@host:8080"}]}`);
    expect(err.message).not.toContain("hunter2");
    expect(err.message).toContain("user:****@");
  });

  it("never appear in warnings", () => {
    const { warnings } = parse(`{
      "model_list": [{"model_name": "a", "model": "groq/x", "api_kee": "${SECRET}"}],
      "channels": {"telegram": {"enabled": true, "token": "", "allow_from": [""], "tokn": "${SECRET}"}}
    }`);
    expect(warnings.length).toBeGreaterThanOrEqual(4);
    expect(warnings.join("\n")).not.toContain(SECRET);
  });

  it("a syntax error on a secret's line does not quote the line", () => {
    const err = failure(`{\n  "gateway": {"token": "${SECRET}" "port": 1}\n}`);
    expect(err.message).toMatch(/line 2/);
    expect(err.message).not.toContain(SECRET);
  });
});
