// channels.qq as the adapter reads it: errors name the key and the fix,
// never the secret; sandbox, api_base and token_url pick the endpoints;
// proxy carries every HTTP call.
import { afterEach, describe, expect, it } from "vitest";
import { createQqAdapter } from "../../../channels/qq/adapter.ts";
import { QQ_API_BASE, QQ_SANDBOX_API_BASE, QQ_TOKEN_URL, resolveQqConfig } from "../../../channels/qq/config.ts";
import { silentLogger } from "../../../src/core/logger.ts";
import { startTestProxy, type TestProxy } from "./proxy.ts";
import { startHarness, type Harness } from "./harness.ts";

const SECRET = "s3cr3t-app-secret-do-not-print";

function errorOf(config: unknown): string {
  try {
    resolveQqConfig(config);
  } catch (err) {
    return (err as Error).message;
  }
  return "no error";
}

describe("QQ config", () => {
  it("names the missing or empty key and where to find it", () => {
    expect(errorOf({ app_secret: SECRET })).toMatch(/^channels\.qq\.app_id is missing: copy the AppID from the QQ open platform console/);
    expect(errorOf({ app_id: "  ", app_secret: SECRET })).toMatch(/^channels\.qq\.app_id is empty/);
    expect(errorOf({ app_id: "102000001" })).toMatch(/^channels\.qq\.app_secret is missing: copy the AppSecret/);
    expect(errorOf({ app_id: "102000001", app_secret: "" })).toMatch(/^channels\.qq\.app_secret is empty/);
  });

  it("rejects bad URLs and flags by key, without echoing the secret", () => {
    const base = { app_id: "102000001", app_secret: SECRET };
    expect(errorOf({ ...base, api_base: "not a url" })).toMatch(/^channels\.qq\.api_base must be an http:\/\/ or https:\/\/ URL/);
    expect(errorOf({ ...base, token_url: "ftp://x" })).toMatch(/^channels\.qq\.token_url must be/);
    expect(errorOf({ ...base, proxy: "socks" })).toMatch(/^channels\.qq\.proxy must be/);
    expect(errorOf({ ...base, sandbox: "yes" })).toMatch(/^channels\.qq\.sandbox must be true or false/);
    for (const bad of [{ ...base, api_base: "x" }, { ...base, sandbox: 1 }, { app_secret: SECRET }]) expect(errorOf(bad)).not.toContain(SECRET);
  });

  it("uses QQ's production endpoints by default, the sandbox when asked, and api_base/token_url over both", () => {
    const base = { app_id: 102000001, app_secret: SECRET, enabled: true, allow_from: ["x"] };
    expect(resolveQqConfig(base)).toMatchObject({ appId: "102000001", apiBase: QQ_API_BASE, tokenUrl: QQ_TOKEN_URL, sandbox: false });
    expect(resolveQqConfig({ ...base, sandbox: true }).apiBase).toBe(QQ_SANDBOX_API_BASE);
    expect(resolveQqConfig({ ...base, sandbox: true, api_base: "http://127.0.0.1:9/", token_url: "http://127.0.0.1:9/t" })).toMatchObject({
      apiBase: "http://127.0.0.1:9",
      tokenUrl: "http://127.0.0.1:9/t",
    });
    expect(resolveQqConfig({ ...base, api_base: "", token_url: "" })).toMatchObject({ apiBase: QQ_API_BASE, tokenUrl: QQ_TOKEN_URL });
  });

  it("builds an adapter with the documented capabilities", () => {
    const adapter = createQqAdapter({ app_id: "1", app_secret: SECRET }, { logger: silentLogger(), stateDir: "/nonexistent" });
    expect(adapter.id).toBe("qq");
    expect(adapter.capabilities).toEqual({ maxTextLength: 2000, format: "plain", typing: false, edit: false, voiceIn: true });
    expect(adapter.typing).toBeUndefined();
    expect(() => createQqAdapter({ app_id: "1" }, { logger: silentLogger(), stateDir: "/x" })).toThrow(/channels\.qq\.app_secret is missing/);
  });
});

describe("QQ proxy", () => {
  let h: Harness | undefined;
  let proxy: TestProxy | undefined;
  afterEach(async () => {
    await h?.close();
    await proxy?.close();
    h = undefined;
    proxy = undefined;
  });

  it("sends the token request, REST calls and downloads through channels.qq.proxy", async () => {
    proxy = await startTestProxy();
    h = await startHarness({}, {}, { proxy: proxy.url });
    await h.start();
    h.fake.c2cMessage({ openid: "U1", text: "pic", attachments: [{ contentType: "image/png", filename: "a.png", data: Buffer.from("png") }] });
    await h.waitForMessages(1);
    await h.received[0]!.media![0]!.fetch!();
    await h.adapter.send("U1", { text: "ok", format: "plain" });
    // whichever way undici talks to the proxy (a CONNECT tunnel or absolute URLs), every call went through it
    const carried = `${proxy.seen.join("\n")}\n${proxy.tunnelled()}`;
    expect(carried).toContain("/app/getAppAccessToken");
    expect(carried).toContain("/gateway/bot");
    expect(carried).toContain("/v2/users/U1/messages");
    expect(carried).toContain("/media/");
  });
});
