// OpenClaw's $include: split configs load whole, and a broken include is an error naming it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.ts";
import { setConfigValue } from "../../src/config/edit.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "sb-include-"));
  mkdirSync(join(dir, "parts"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("$include", () => {
  it("merges included files in order, nested includes relative to their file, own keys on top", () => {
    writeFileSync(join(dir, "parts", "channels.json5"), '{ telegram: { enabled: true, token: "from-part", allow_from: ["1"] }, $include: "./more.json5" }');
    writeFileSync(join(dir, "parts", "more.json5"), '{ discord: { enabled: true, token: "d" } }');
    writeFileSync(join(dir, "parts", "gateway.json5"), "{ gateway: { port: 2000 }, session: { dm_scope: \"main\" } }");
    const file = join(dir, "openclaw.json5");
    writeFileSync(file, '{ $include: ["./parts/gateway.json5"], channels: { $include: "./parts/channels.json5", telegram: { allow_from: ["2"] } }, gateway: { port: 3000 } }');
    const { config, warnings } = loadConfig({ path: file, env: {} });
    expect(config.channels.telegram).toMatchObject({ enabled: true, token: "from-part", allow_from: ["2"] });
    expect(config.channels.discord.token).toBe("d");
    expect([config.gateway.port, config.session.dm_scope]).toEqual([3000, "main"]);
    expect(warnings).toEqual([]);
  });

  it("a missing file or a cycle is an error naming the include", () => {
    const file = join(dir, "config.json");
    writeFileSync(file, '{ "channels": { "$include": "./nope.json" } }');
    expect(() => loadConfig({ path: file, env: {} })).toThrow(/channels\.\$include: .*nope\.json does not exist/);
    writeFileSync(file, '{ "$include": "./parts/a.json" }');
    writeFileSync(join(dir, "parts", "a.json"), '{ "$include": "../config.json" }');
    expect(() => loadConfig({ path: file, env: {} })).toThrow(/includes itself/);
  });

  it("config set keeps the $include and validates with it", () => {
    writeFileSync(join(dir, "parts", "tg.json"), '{ "telegram": { "enabled": true, "mode": "webhook", "webhook_url": "https://bot.example.com/hook", "token": "t" } }');
    const file = join(dir, "config.json");
    writeFileSync(file, '{ "channels": { "$include": "./parts/tg.json" } }');
    const { raw } = setConfigValue({ file, path: "gateway.port", value: "4000", env: {} });
    expect(raw).toEqual({ channels: { $include: "./parts/tg.json" }, gateway: { port: 4000 } });
    expect(loadConfig({ path: file, env: {} }).config.channels.telegram.webhook_url).toBe("https://bot.example.com/hook");
  });
});
