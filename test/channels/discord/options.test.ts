// Config handling and the adapter's options: validation messages, token and
// api_base spellings, the HTTP proxy, and the attachment size cap.
import { afterEach, describe, expect, it } from "vitest";
import { createDiscordAdapter } from "../../../channels/discord/adapter.ts";
import { normalizeApiRoot, resolveDiscordConfig } from "../../../channels/discord/config.ts";
import { silentLogger } from "../../../src/core/logger.ts";
import { startHarness, type Harness } from "./harness.ts";
import { startProxy, type ForwardProxy } from "./proxy.ts";

let h: Harness | undefined;
let proxy: ForwardProxy | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
  await proxy?.close();
  proxy = undefined;
});

describe("Discord config", () => {
  it("names the key and the fix when the token is missing or empty", () => {
    expect(() => createDiscordAdapter({} as never, { logger: silentLogger() })).toThrow(/channels\.discord\.token is missing.*Developer Portal/);
    expect(() => createDiscordAdapter({ token: "  " }, { logger: silentLogger() })).toThrow(/channels\.discord\.token is empty/);
  });

  it("rejects a proxy or api_base that is not a URL, naming the key", () => {
    expect(() => resolveDiscordConfig({ token: "t", proxy: "localhost:7890" })).toThrow(/channels\.discord\.proxy must be an http:\/\/ or https:\/\/ URL/);
    expect(() => resolveDiscordConfig({ token: "t", api_base: "discord" })).toThrow(/channels\.discord\.api_base must be an http:\/\/ or https:\/\/ URL/);
  });

  it("accepts a token pasted with its 'Bot ' prefix and api_base written with the version", () => {
    expect(resolveDiscordConfig({ token: "Bot abc.def", api_base: "http://h:1/api/v10/" })).toEqual({ token: "abc.def", apiRoot: "http://h:1/api" });
    expect(normalizeApiRoot("https://discord.com/api")).toBe("https://discord.com/api");
  });

  it("logs in with a 'Bot '-prefixed token and an api_base ending in /v10", async () => {
    h = await startHarness();
    const adapter = createDiscordAdapter({ token: `Bot ${h.fake.token}`, api_base: `${h.fake.apiBase}/v10/` }, { logger: silentLogger(), stopTimeoutMs: 500 });
    try {
      await adapter.start({ signal: new AbortController().signal, emit: async () => undefined, setStatus: () => undefined });
      expect(adapter.botUserId).toBe(h.fake.bot.id);
    } finally {
      await adapter.stop();
    }
  });
});

describe("Discord unreachable", () => {
  it("says the API cannot be reached (and how to fix it) when api_base refuses connections", async () => {
    const adapter = createDiscordAdapter({ token: "abc.def.ghi-secret-token", api_base: "http://127.0.0.1:9/api" }, { logger: silentLogger() });
    const statuses: string[] = [];
    const err = await adapter
      .start({ signal: new AbortController().signal, emit: async () => undefined, setStatus: (s, d) => statuses.push(`${s}: ${d ?? ""}`) })
      .then(() => new Error("start resolved"), (e: Error) => e);
    expect(err.message).toMatch(/cannot reach the Discord API \(ECONNREFUSED\).*proxy/);
    expect(err.message).not.toContain("abc.def.ghi-secret-token");
    expect(statuses.at(-1)).toMatch(/^offline: .*cannot reach/);
    await adapter.stop();
  });
});

describe("Discord proxy and media options", () => {
  it("sends REST calls and attachment downloads through channels.discord.proxy", async () => {
    const p = (proxy = await startProxy());
    h = await startHarness({}, { proxy: p.url });
    await h.start();
    const fakeHost = new URL(h.fake.baseUrl).host;
    expect(p.seen.some((s) => s.includes(fakeHost))).toBe(true);
    let before = p.bytesDown();
    await h.adapter.send(h.fake.dmChannelId(), { text: "via proxy", format: "plain" });
    expect(h.fake.sent.at(-1)!.body.content).toBe("via proxy");
    expect(p.bytesDown()).toBeGreaterThan(before);
    const att = h.fake.addAttachment({ data: Buffer.from("voice-bytes"), contentType: "audio/ogg", filename: "v.ogg" });
    h.fake.dm("", { attachments: [att] });
    const [msg] = await h.waitForMessages(1);
    before = p.bytesDown();
    expect((await msg!.media![0]!.fetch!()).toString()).toBe("voice-bytes");
    expect(p.bytesDown()).toBeGreaterThan(before + "voice-bytes".length);
  });

  it("stops downloading an attachment once it passes the size cap, whatever size Discord reported", async () => {
    h = await startHarness({}, { maxMediaBytes: 1024 });
    await h.start();
    const att = h.fake.addAttachment({ data: Buffer.alloc(64 * 1024, 7), contentType: "image/png", filename: "big.png", size: 100 });
    h.fake.dm("", { attachments: [att] });
    const [msg] = await h.waitForMessages(1);
    await expect(msg!.media![0]!.fetch!()).rejects.toThrow(/big\.png.*over the 1 KB download limit/);
  });
});
