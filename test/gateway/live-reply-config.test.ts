// channels.<id>.streaming: "edit" by default where the platform can edit,
// "off" accepted everywhere, "edit" refused on QQ and WhatsApp with the key
// path and the fix; changing it needs no reconnect.
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/config/load.ts";
import { ConfigError } from "../../src/core/errors.ts";

function channels(block: Record<string, unknown>) {
  return parseConfigText(JSON.stringify({ channels: block }), { env: {} }).config.channels as Record<string, { streaming?: string }>;
}

function problems(block: Record<string, unknown>): { path: string; message: string }[] {
  try {
    channels(block);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("channels.<id>.streaming", () => {
  it('is "edit" by default on Telegram, Discord and Feishu, and "off" on QQ and WhatsApp', () => {
    const c = channels({ telegram: {}, discord: {}, feishu: {}, qq: {}, whatsapp: {} });
    expect([c.telegram!.streaming, c.discord!.streaming, c.feishu!.streaming, c.qq!.streaming, c.whatsapp!.streaming]).toEqual(["edit", "edit", "edit", "off", "off"]);
  });

  it('takes "off" everywhere', () => {
    const c = channels({ telegram: { streaming: "off" }, qq: { streaming: "off" } });
    expect([c.telegram!.streaming, c.qq!.streaming]).toEqual(["off", "off"]);
  });

  it('refuses "edit" where the platform cannot edit, naming the key and the fix', () => {
    const [p] = problems({ qq: { streaming: "edit" } });
    expect(p!.path).toBe("channels.qq.streaming");
    expect(p!.message).toMatch(/QQ cannot edit a sent message.*"off"/);
    expect(problems({ whatsapp: { streaming: "edit" } })[0]!.message).toMatch(/WhatsApp cannot edit/);
  });

  it("refuses anything else with the values it takes", () => {
    const [p] = problems({ telegram: { streaming: "fast" } });
    expect(p!.path).toBe("channels.telegram.streaming");
    expect(p!.message).toMatch(/"edit".*"off"/);
  });
});

describe("PicoClaw's streaming object", () => {
  it('{ "enabled": true } is "edit", { "enabled": false } is "off"', () => {
    const c = channels({ telegram: { streaming: { enabled: true, throttle_seconds: 3 } }, discord: { streaming: { enabled: false } } });
    expect([c.telegram!.streaming, c.discord!.streaming]).toEqual(["edit", "off"]);
  });
});
