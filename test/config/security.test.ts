// PicoClaw's .security.yml beside a config, and v3 channel_list edge cases.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/core/errors.ts";
import { loadConfig, parseConfigText } from "../../src/config/load.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sb-security-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(config: unknown, security?: string): string {
  const file = join(dir, "config.json");
  writeFileSync(file, JSON.stringify(config));
  if (security !== undefined) writeFileSync(join(dir, ".security.yml"), security);
  return file;
}

describe(".security.yml", () => {
  it("gives keys to entries by model_name, or to one entry by name:index", () => {
    const file = write(
      {
        model_list: [
          { model_name: "gpt", model: "openai/gpt-5.4", api_key: "placeholder" },
          { model_name: "gpt", model: "openai/gpt-5.4", api_base: "https://b.example.com/v1" },
          { model_name: "solo", model: "deepseek/deepseek-chat" },
        ],
      },
      'model_list:\n  gpt:\n    api_keys: ["k-all"]\n  "gpt:1":\n    api_keys: ["k-second"]\n',
    );
    const { config, warnings } = loadConfig({ path: file, env: {} });
    expect(config.model_list.map((e) => [e.api_key, e.api_keys])).toEqual([
      [undefined, ["k-all"]],
      [undefined, ["k-second"]],
      [undefined, undefined],
    ]);
    expect(warnings).toContainEqual(expect.stringMatching(/model_list entry "solo" has no API key/));
  });

  it("fills channel secrets into channels the config has, and leaves the others unused", () => {
    const file = write({ channels: { telegram: { enabled: true, allow_from: ["1"] } } }, "channels:\n  telegram:\n    token: tg-secret\n  slack:\n    bot_token: unused\n");
    const { config, warnings } = loadConfig({ path: file, env: {} });
    expect(config.channels.telegram.token).toBe("tg-secret");
    expect(warnings.join("\n")).not.toMatch(/slack|tg-secret/);
  });

  it("an unknown section warns; a file that is not YAML is an error naming it", () => {
    const file = write({}, "extras:\n  a: 1\n");
    expect(loadConfig({ path: file, env: {} }).warnings).toContainEqual(expect.stringMatching(/^\.security\.yml: section extras is not known/));
    writeFileSync(join(dir, ".security.yml"), "model_list:\n  gpt: [unclosed\n");
    let err: unknown;
    try {
      loadConfig({ path: file, env: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/\.security\.yml is not valid YAML/);
  });
});

describe("channel_list (PicoClaw v3)", () => {
  it("maps by type, warns about a second account of one type, and lets channels.<id> win", () => {
    const { config, warnings } = parseConfigText(
      JSON.stringify({
        version: 3,
        channel_list: {
          main: { type: "telegram", enabled: true, allow_from: ["1"], settings: { token: "a" } },
          backup: { type: "telegram", enabled: true, settings: { token: "b" } },
        },
        channels: { telegram: { allow_from: ["2"] } },
      }),
      { env: {} },
    );
    expect(config.channels.telegram).toMatchObject({ enabled: true, token: "a", allow_from: ["2"] });
    expect(warnings).toContainEqual("channel_list.backup: a second telegram account is not supported; only the first is used");
  });
});
