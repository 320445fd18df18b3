import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/core/errors.ts";
import { getPath, maskSecrets, parseValue, setConfigValue, setPath, setValueAt, splitPath, unsetPath } from "../../src/config/edit.ts";
import { loadConfig } from "../../src/config/load.ts";
import { agentModelSelection } from "../../src/config/models.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sb-edit-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("key paths", () => {
  it("split dots, [n], .n and quoted keys", () => {
    expect(splitPath("model_list[0].rpm")).toEqual(["model_list", 0, "rpm"]);
    expect(splitPath("model_list.0.rpm")).toEqual(["model_list", 0, "rpm"]);
    expect(splitPath('agents.defaults.models["anthropic/claude-sonnet-4.6"].alias')).toEqual(["agents", "defaults", "models", "anthropic/claude-sonnet-4.6", "alias"]);
    expect(() => splitPath("")).toThrow(ConfigError);
    expect(() => splitPath("model_list[x]")).toThrow(/not a key path/);
  });

  it("get values, or undefined", () => {
    const raw = { agents: { defaults: { model: { primary: "p" } } }, model_list: [{ rpm: 5 }] };
    expect(getPath(raw, "agents.defaults.model.primary")).toBe("p");
    expect(getPath(raw, "model_list[0].rpm")).toBe(5);
    expect(getPath(raw, "model_list.0.rpm")).toBe(5);
    expect(getPath(raw, "model_list[3].rpm")).toBeUndefined();
    expect(getPath(raw, "agents.defaults.model.primary.deeper")).toBeUndefined();
  });
});

describe("setPath", () => {
  it("parses JSON values and keeps other text as a string, without changing its input", () => {
    const raw = { gateway: { port: 1 } };
    expect(setPath(raw, "gateway.port", "8080")).toEqual({ gateway: { port: 8080 } });
    expect(setPath(raw, "heartbeat.enabled", "true")).toMatchObject({ heartbeat: { enabled: true } });
    expect(setPath(raw, "channels.telegram.allow_from", '["1", "2"]')).toMatchObject({ channels: { telegram: { allow_from: ["1", "2"] } } });
    expect(setPath(raw, "channels.telegram.token", "123456:ABC-def")).toMatchObject({ channels: { telegram: { token: "123456:ABC-def" } } });
    expect(raw).toEqual({ gateway: { port: 1 } });
    expect(parseValue("{bad")).toBe("{bad");
  });

  it("turns a string model into {primary} when a key under it is set (doc 003's command)", () => {
    const raw = { agents: { defaults: { model: "litellm/gpt-4" } } };
    expect(setPath(raw, "agents.defaults.model.primary", "litellm/claude-3-opus")).toEqual({ agents: { defaults: { model: { primary: "litellm/claude-3-opus" } } } });
    expect(setPath(raw, "agents.defaults.model.fallbacks", '["x"]')).toEqual({ agents: { defaults: { model: { primary: "litellm/gpt-4", fallbacks: ["x"] } } } });
  });

  it("creates lists and objects on the way, appending at the end of a list only", () => {
    expect(setPath({}, "model_list[0].rpm", "5")).toEqual({ model_list: [{ rpm: 5 }] });
    const two = { model_list: [{ a: 1 }, { a: 2 }] };
    expect(setPath(two, "model_list.2.a", "3").model_list).toHaveLength(3);
    expect(() => setPath(two, "model_list[5].a", "3")).toThrow(/the list has 2 item\(s\)/);
  });

  it("refuses to run through a plain value", () => {
    expect(() => setPath({ gateway: { host: "x" } }, "gateway.host.name", "y")).toThrow(ConfigError);
    expect(() => setValueAt({ model_list: [1] }, "model_list.first", 2)).toThrow(/is a list/);
  });

  it("unsetPath removes keys and list items", () => {
    expect(unsetPath({ a: { b: 1, c: 2 } }, "a.b")).toEqual({ a: { c: 2 } });
    expect(unsetPath({ l: [1, 2, 3] }, "l[1]")).toEqual({ l: [1, 3] });
    expect(unsetPath({ a: 1 }, "x.y")).toEqual({ a: 1 });
  });
});

describe("maskSecrets", () => {
  it("masks secrets wherever they sit, including list items and headers", () => {
    const raw = {
      providers: { openai: { api_key: "sk-abcdefgh", api_base: "https://x" } },
      model_list: [{ api_keys: ["sk-one-11111", "sk-two-22222"], custom_headers: { Authorization: "Bearer zzzzzz" } }],
      gateway: { token: "" },
    };
    const masked = JSON.stringify(maskSecrets(raw));
    for (const s of ["abcdefgh", "11111", "22222", "zzzzzz"]) expect(masked).not.toContain(s);
    expect(masked).toContain('"api_base":"https://x"');
    expect(maskSecrets("sk-one-11111", "model_list[0].api_keys[0]")).toBe("sk-…(12 chars)");
    expect(maskSecrets("https://x", "providers.openai.api_base")).toBe("https://x");
  });
});

describe("setConfigValue", () => {
  const file = () => join(dir, "config.json");

  it("sets, validates and writes with a backup; the change takes effect", () => {
    writeFileSync(file(), `{\n  // my models\n  "agents": {"defaults": {"model": "litellm/gpt-4"}},\n  "env": {"K": "\${HOME_KEY}"}\n}`);
    const result = setConfigValue({ file: file(), path: "agents.defaults.model.primary", value: "litellm/claude-3-opus", env: {} });
    expect(result.backup).toMatch(/config\.json\.bak-/);
    expect(readFileSync(result.backup!, "utf8")).toContain("// my models");
    const written = JSON.parse(readFileSync(file(), "utf8"));
    expect(written).toEqual({ agents: { defaults: { model: { primary: "litellm/claude-3-opus" } } }, env: { K: "${HOME_KEY}" } });
    expect(agentModelSelection(loadConfig({ path: file(), env: {} }).config, {}).primary).toBe("litellm/claude-3-opus");
  });

  it("refuses an invalid result with the key path, and writes nothing", () => {
    writeFileSync(file(), `{"gateway": {"port": 1}}`);
    let err: unknown;
    try {
      setConfigValue({ file: file(), path: "gateway.port", value: "high", env: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(78);
    expect((err as ConfigError).problems[0]!.path).toBe("gateway.port");
    expect(readFileSync(file(), "utf8")).toBe(`{"gateway": {"port": 1}}`);
    expect(readdirSync(dir)).toEqual(["config.json"]);
  });

  it("keeps a number as text where the schema wants text (a numeric token)", () => {
    const result = setConfigValue({ file: file(), path: "gateway.token", value: "12345678", env: {} });
    expect(result.value).toBe("12345678");
    expect(JSON.parse(readFileSync(file(), "utf8"))).toEqual({ gateway: { token: "12345678" } });
    expect(result.backup).toBeUndefined();
  });

  it("reports warnings of the new config, such as an unknown key", () => {
    const result = setConfigValue({ file: file(), path: "channels.telegram.tokn", value: "x", env: {} });
    expect(result.warnings).toContainEqual(expect.stringMatching(/unknown key channels\.telegram\.tokn/));
  });
});
