import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/core/logger.ts";
import { createTelegramAdapter } from "../../../channels/telegram/adapter.ts";
import { harness, rejection, type Harness } from "./harness.ts";
import { startTestProxy, type TestProxy } from "./proxy.ts";

let h: Harness | undefined;
let proxy: TestProxy | undefined;
afterEach(async () => {
  await h?.close();
  await proxy?.close();
  h = undefined;
  proxy = undefined;
});

describe("telegram adapter: proxy", () => {
  it("sends every Bot API call and file download through channels.telegram.proxy", async () => {
    proxy = await startTestProxy();
    h = await harness({ config: { proxy: proxy.url } });
    await h.start();
    h.tg.userMessage({ voice: { data: Buffer.from("OggS-proxied") } });
    const [m] = await h.waitForEmitted(1);
    expect(await m!.media![0]!.fetch!()).toEqual(Buffer.from("OggS-proxied"));
    await h.adapter.send("1001", { text: "via proxy", format: "plain" });
    expect(h.tg.sent[0]!.text).toBe("via proxy");
    const target = `127.0.0.1:${h.tg.port}`;
    expect(proxy.seen.length).toBeGreaterThan(0);
    expect(proxy.seen.every((s) => s === `CONNECT ${target}`)).toBe(true);
  });

  it("fails to start when the proxy is unreachable, so traffic never bypasses it", async () => {
    proxy = await startTestProxy();
    const dead = proxy.url;
    await proxy.close();
    proxy = undefined;
    h = await harness();
    const adapter = createTelegramAdapter({ token: h.tg.token, api_base: h.tg.url, proxy: dead }, { logger: silentLogger() });
    const err = await rejection(adapter.start({ emit: async () => undefined, setStatus: () => undefined, signal: new AbortController().signal }));
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/network error calling Telegram getMe/);
    expect(h.tg.calls).toHaveLength(0);
  });
});
