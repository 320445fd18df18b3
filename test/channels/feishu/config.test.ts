import { describe, expect, it } from "vitest";
import { resolveFeishuConfig } from "../../../channels/feishu/config.ts";

const APP = { app_id: "cli_a1b2c3d4e5f60718", app_secret: "s3cret-value-123" };

function fails(config: unknown): string {
  try {
    resolveFeishuConfig(config);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected the config to be refused");
}

describe("feishu config", () => {
  it("defaults to the long connection on open.feishu.cn and ignores the gateway's keys", () => {
    expect(resolveFeishuConfig({ ...APP, enabled: true, allow_from: ["ou_x"], encrypt_key: "", verification_token: "" })).toEqual({
      appId: APP.app_id,
      appSecret: APP.app_secret,
      domain: "feishu",
      mode: "websocket",
      apiBase: "https://open.feishu.cn",
    });
  });

  it("talks to open.larksuite.com for domain lark, and api_base wins over both", () => {
    expect(resolveFeishuConfig({ ...APP, domain: "lark" }).apiBase).toBe("https://open.larksuite.com");
    expect(resolveFeishuConfig({ ...APP, domain: "lark", api_base: "http://127.0.0.1:9000/" }).apiBase).toBe("http://127.0.0.1:9000");
    expect(resolveFeishuConfig({ ...APP, api_base: "" }).apiBase).toBe("https://open.feishu.cn");
  });

  it("keeps encrypt_key and verification_token when set", () => {
    const c = resolveFeishuConfig({ ...APP, mode: "webhook", encrypt_key: "ek-123", verification_token: "vt-456" });
    expect(c).toMatchObject({ mode: "webhook", encryptKey: "ek-123", verificationToken: "vt-456" });
  });

  it("names the key and the fix for missing credentials, never echoing a secret", () => {
    expect(fails({ app_id: APP.app_id })).toMatch(/channels\.feishu\.app_secret is missing: copy the App Secret/);
    expect(fails({ app_secret: APP.app_secret })).toMatch(/channels\.feishu\.app_id is missing/);
    expect(fails({ ...APP, app_secret: "   " })).toMatch(/channels\.feishu\.app_secret is empty/);
    expect(fails({ ...APP, app_id: 42 })).not.toContain(APP.app_secret);
  });

  it("refuses an app id the long connection would silently ignore, but not in webhook mode", () => {
    expect(fails({ ...APP, app_id: "cli_xxx" })).toMatch(/channels\.feishu\.app_id does not look like a Feishu\/Lark App ID/);
    expect(resolveFeishuConfig({ ...APP, app_id: "cli_xxx", mode: "webhook", verification_token: "v" }).appId).toBe("cli_xxx");
  });

  it("wants a verification token or an encrypt key in webhook mode", () => {
    expect(fails({ ...APP, mode: "webhook" })).toMatch(/webhook mode needs channels\.feishu\.verification_token/);
    expect(resolveFeishuConfig({ ...APP, mode: "webhook", encrypt_key: "k" }).encryptKey).toBe("k");
  });

  it("explains bad enums and URLs", () => {
    expect(fails({ ...APP, mode: "polling" })).toMatch(/channels\.feishu\.mode must be "websocket" .* or "webhook"/);
    expect(fails({ ...APP, domain: "larksuite" })).toMatch(/channels\.feishu\.domain must be "feishu"/);
    expect(fails({ ...APP, api_base: "open.feishu.cn" })).toMatch(/channels\.feishu\.api_base must be an http\(s\) URL/);
  });
});
